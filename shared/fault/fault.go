// Package fault tells a transient AWS fault (throttling, timeouts, broken connections, AWS's own 5xx),
// which waiting can cure, from a permanent one (missing table, access denied, a request AWS refuses),
// which needs someone to fix the deployment or the code.
package fault

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
)

// transientCodes are AWS error codes that waiting cures. The SDK's own throttle and timeout codes
// (retry.DefaultThrottleErrorCodes, retry.DefaultRetryableErrorCodes) count as well; DynamoDB's are
// named here too, so that they stay transient whatever those lists become.
var transientCodes = map[string]bool{
	"ProvisionedThroughputExceededException": true,
	"ThrottlingException":                    true,
	"RequestLimitExceeded":                   true,
	"TransactionConflictException":           true, // another transaction is changing the item; it settles in milliseconds
	"ReplicatedWriteConflictException":       true,
	"InternalServerError":                    true, // DynamoDB's own 500
	"InternalFailure":                        true, // SNS's and SES's 500
	"ServiceUnavailable":                     true,
	"ServiceUnavailableException":            true,
}

// sdkCodes are the SDK's own lists of retryable codes, read as they are so that a code the SDK
// learns to retry is transient here too.
var sdkCodes = retry.IsErrorRetryables{
	retry.RetryableErrorCode{Codes: retry.DefaultThrottleErrorCodes},
	retry.RetryableErrorCode{Codes: retry.DefaultRetryableErrorCodes},
}

// sdkUnanswered are the SDK's checks for a request that got no answer: a connection refused, reset
// or timed out, or an error the SDK itself marks retryable. They are not asked about an answered
// error: one of them matches words in the error text, and AWS's message could hold those words.
var sdkUnanswered = retry.IsErrorRetryables{
	retry.RetryableError{},
	retry.RetryableConnectionError{},
}

// ErrThrottled is AWS answering yet leaving part of a request undone, as BatchGetItem does with
// UnprocessedKeys when a table is throttled: transient, like a throttling error.
var ErrThrottled = errors.New("throttled: part of the request was left unprocessed")

// Classify reports whether err is a transient fault, and the AWS error code it carries ("" when AWS
// did not answer, or err is not from AWS). An error AWS answered is classed by its code and HTTP
// status alone; one it never answered, or whose answer broke off, by the context and the connection.
// Anything else, our own bugs included, is permanent.
func Classify(err error) (transient bool, awsCode string) {
	if err == nil {
		return false, ""
	}
	if errors.Is(err, ErrThrottled) {
		return true, ""
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return answeredTransient(err, apiErr), apiErr.ErrorCode()
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return true, "" // out of time, possibly in the middle of reading an answer
	}
	switch status := httpStatus(err); {
	case status >= http.StatusMultipleChoices: // an error answer the SDK could not read, such as a proxy's HTML page
		return transientStatus(status), ""
	case status != 0:
		// A success whose body broke off or could not be read: the connection failed, not the request.
		return true, ""
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return true, ""
	}
	return sdkUnanswered.IsErrorRetryable(err) == aws.TrueTernary, ""
}

func answeredTransient(err error, apiErr smithy.APIError) bool {
	if transientCodes[apiErr.ErrorCode()] || sdkCodes.IsErrorRetryable(err) == aws.TrueTernary {
		return true
	}
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		return transientCancel(tce.CancellationReasons)
	}
	if apiErr.ErrorFault() == smithy.FaultServer {
		return true
	}
	return transientStatus(httpStatus(err))
}

// httpStatus is the HTTP status of the answer err was made from; 0 when there was none (the SDK
// wraps an error without an answer too, with status 0).
func httpStatus(err error) int {
	var resp interface{ HTTPStatusCode() int }
	if errors.As(err, &resp) {
		return resp.HTTPStatusCode()
	}
	return 0
}

// transientStatus: AWS's 5xx are its own faults, and 429 is throttling.
func transientStatus(status int) bool {
	return status >= http.StatusInternalServerError || status == http.StatusTooManyRequests
}

// transientCancel classes a cancelled transaction by its reasons: one that lost a race or was
// throttled may pass on a later try, unless another part of it is invalid. A failed condition the
// store did not turn into a domain error is a bug: permanent.
func transientCancel(reasons []types.CancellationReason) bool {
	transient := false
	for _, r := range reasons {
		switch aws.ToString(r.Code) {
		case "TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded":
			transient = true
		case "ValidationError", "ItemCollectionSizeLimitExceeded":
			return false
		}
	}
	return transient
}

// Text is err's text for a log line, with the AWS error message withheld: AWS puts table names,
// attribute values and recipients' addresses in its messages. The code, operation and request ID stay.
func Text(err error) string {
	if err == nil {
		return ""
	}
	s := err.Error()
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		// Without a message the SDK repeats the code in its place; the code stays.
		if msg := apiErr.ErrorMessage(); msg != "" && msg != apiErr.ErrorCode() {
			s = strings.ReplaceAll(s, msg, "(message withheld)")
		}
	}
	return s
}
