package fault_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"mfagateway/shared/fault"
	"mfagateway/shared/fault/faulttest"
)

// call makes the DynamoDB call f fails, through a real SDK client with the production retryer.
func call(t *testing.T, ctx context.Context, f faulttest.Fault) error {
	t.Helper()
	db := faulttest.Client(t, faulttest.Serve(t, f).URL)
	key := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "USER#1"}}
	if f.Transact {
		_, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
			{Put: &types.Put{TableName: aws.String(faulttest.Table), Item: key}},
		}})
		return err
	}
	_, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(faulttest.Table), Key: key})
	return err
}

// TestClassifySDKErrors: every fault, as the SDK returns it after its retries, gets its class and
// its AWS code, and the log text keeps the code and the operation but not AWS's message.
func TestClassifySDKErrors(t *testing.T) {
	for _, f := range faulttest.DynamoDB {
		t.Run(f.Name, func(t *testing.T) {
			err := call(t, context.Background(), f)
			if err == nil {
				t.Fatal("the call succeeded")
			}
			transient, code := fault.Classify(err)
			if transient != f.Transient || code != f.Code {
				t.Errorf("Classify = %v, %q; want %v, %q (error %v)", transient, code, f.Transient, f.Code, err)
			}
			text := fault.Text(err)
			if strings.Contains(text, faulttest.Table) || strings.Contains(text, "ada.private") {
				t.Errorf("Text holds AWS's message: %s", text)
			}
			if !strings.Contains(text, f.Code) || !strings.Contains(text, "DynamoDB") {
				t.Errorf("Text lost the code or the service: %s", text)
			}
		})
	}
}

// TestClassifyDeadline: a call cut off by its context's deadline is transient, whatever it waited on.
func TestClassifyDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	err := call(t, ctx, faulttest.Fault{Name: "hang", NoAnswer: "hang"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want one that wraps context.DeadlineExceeded", err)
	}
	if transient, code := fault.Classify(err); !transient || code != "" {
		t.Errorf("Classify = %v, %q; want transient without a code", transient, code)
	}
}

// TestClassifyErrors covers errors as other services and our own code produce them.
func TestClassifyErrors(t *testing.T) {
	answered := func(code string, f smithy.ErrorFault) error {
		return &smithy.OperationError{ServiceID: "SNS", OperationName: "Publish",
			Err: &smithy.GenericAPIError{Code: code, Message: "connection reset by the recipient's carrier", Fault: f}}
	}
	for _, tt := range []struct {
		name      string
		err       error
		transient bool
		code      string
	}{
		{"no error", nil, false, ""},
		{"our own bug", errors.New("decode user: missing attribute"), false, ""},
		{"wrapped deadline", fmt.Errorf("get user: %w", context.DeadlineExceeded), true, ""},
		{"cancelled", fmt.Errorf("get user: %w", context.Canceled), true, ""},
		{"SNS throttling, from the SDK's list", answered("Throttling", smithy.FaultClient), true, "Throttling"},
		{"S3-style slow down, from the SDK's list", answered("SlowDown", smithy.FaultUnknown), true, "SlowDown"},
		{"SNS internal failure", answered("InternalFailure", smithy.FaultUnknown), true, "InternalFailure"},
		{"server fault by its kind", answered("SomethingNew", smithy.FaultServer), true, "SomethingNew"},
		{"global table write conflict", answered("ReplicatedWriteConflictException", smithy.FaultClient), true, "ReplicatedWriteConflictException"},
		// The message says "connection reset", words the SDK's connection check looks for: an answer is
		// classed by its code, never by its text.
		{"SNS authorization error", answered("AuthorizationError", smithy.FaultClient), false, "AuthorizationError"},
		{"SES message rejected", answered("MessageRejected", smithy.FaultUnknown), false, "MessageRejected"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			transient, code := fault.Classify(tt.err)
			if transient != tt.transient || code != tt.code {
				t.Errorf("Classify(%v) = %v, %q; want %v, %q", tt.err, transient, code, tt.transient, tt.code)
			}
		})
	}
}

func TestText(t *testing.T) {
	err := fmt.Errorf("load login: %w", &smithy.OperationError{ServiceID: "DynamoDB", OperationName: "GetItem",
		Err: &types.ResourceNotFoundException{Message: aws.String(faulttest.Message)}})
	got := fault.Text(err)
	want := "load login: operation error DynamoDB: GetItem, ResourceNotFoundException: (message withheld)"
	if got != want {
		t.Errorf("Text = %q, want %q", got, want)
	}
	if got := fault.Text(errors.New("decode user: missing attribute")); got != "decode user: missing attribute" {
		t.Errorf("Text of our own error = %q, want it whole", got)
	}
	if got := fault.Text(nil); got != "" {
		t.Errorf("Text(nil) = %q", got)
	}
}

// TestClassifyUnprocessed: keys BatchGetItem leaves unprocessed round after round are throttling.
func TestClassifyUnprocessed(t *testing.T) {
	if transient, code := fault.Classify(fmt.Errorf("batch get: keys left unprocessed: %w", fault.ErrThrottled)); !transient || code != "" {
		t.Errorf("Classify = %v, %q; want transient without an AWS code", transient, code)
	}
}
