package functions_test

import (
	"reflect"
	"testing"

	"github.com/awslabs/goformation/v7/cloudformation"
)

// TestTemplateAlarmEmail holds the alarm topic's subscription to AlarmEmail: none when it is empty
// (the default), one email subscription to it when it is set.
func TestTemplateAlarmEmail(t *testing.T) {
	tests := []struct {
		name   string
		params map[string]any
		want   any
	}{
		{"default", nil, nil},
		{"set", map[string]any{"AlarmEmail": "ops@example.com"},
			[]any{map[string]any{"Protocol": "email", "Endpoint": cloudformation.Ref("AlarmEmail")}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			topic, _ := dig(templateJSON(t, tt.params), "Resources", "AlarmTopic").(map[string]any)
			if topic["Type"] != "AWS::SNS::Topic" {
				t.Fatalf("AlarmTopic is %v, want an AWS::SNS::Topic", topic["Type"])
			}
			if got := dig(topic, "Properties", "Subscription"); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Subscription = %v, want %v", got, tt.want)
			}
		})
	}
}
