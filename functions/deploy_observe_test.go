package functions_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"mfagateway/shared/localdeploy"
)

// accessLogFields are the fields each line of the HTTP API's access log must carry, with the
// $context variable each must hold.
var accessLogFields = map[string]string{
	"requestId":       "$context.requestId",
	"ip":              "$context.identity.sourceIp",
	"routeKey":        "$context.routeKey",
	"status":          "$context.status",
	"responseLatency": "$context.responseLatency",
	"authorizerError": "$context.authorizer.error",
}

// contextVariable is one $context variable, the whole of a field's value.
var contextVariable = regexp.MustCompile(`^\$context\.[A-Za-z]+(\.[A-Za-z]+)*$`)

// testAccessLog checks the stage's access log: JSON lines with the fields above into the stack's own
// log group, kept for AccessLogRetentionDays, and nothing a request could carry a secret in (headers,
// query strings, bodies, the authorizer's context).
func testAccessLog(t *testing.T, d *localdeploy.Deployment, id string, stage map[string]any) {
	t.Helper()
	settings, _ := stage["AccessLogSettings"].(map[string]any)
	if settings == nil {
		t.Errorf("%s: no AccessLogSettings", id)
		return
	}
	dest := localdeploy.References(settings["DestinationArn"])
	if len(dest) != 1 || resourceType(d, dest[0]) != "AWS::Logs::LogGroup" {
		t.Errorf("%s: access log DestinationArn %v, want a log group of the stack", id, settings["DestinationArn"])
	} else if got := dig(d.Template, "Resources", dest[0], "Properties", "RetentionInDays"); !reflect.DeepEqual(got, map[string]any{"Ref": "AccessLogRetentionDays"}) {
		t.Errorf("%s: RetentionInDays %v, want !Ref AccessLogRetentionDays", dest[0], got)
	}
	format, _ := settings["Format"].(string)
	var fields map[string]any
	if err := json.Unmarshal([]byte(format), &fields); err != nil {
		t.Errorf("%s: access log Format is not one JSON object (%v): %s", id, err, format)
		return
	}
	for name, want := range accessLogFields {
		if got := fields[name]; got != want {
			t.Errorf("%s: access log field %s = %v, want %s", id, name, got, want)
		}
	}
	for name, v := range fields {
		s, _ := v.(string)
		switch {
		case !contextVariable.MatchString(s):
			t.Errorf("%s: access log field %s = %v, want one $context variable", id, name, v)
		case strings.HasPrefix(s, "$context.authorizer.") && s != "$context.authorizer.error":
			t.Errorf("%s: access log field %s = %s: the authorizer's context is not for logs", id, name, s)
		}
	}
}

// metric is what an alarm watches: a namespace, a metric name and its dimensions (name -> the
// resource a dimension's value is a reference to, or the literal value).
type metric struct {
	Namespace, Name string
	Dimensions      string
}

func (m metric) String() string { return m.Namespace + " " + m.Name + " {" + m.Dimensions + "}" }

// alarmMetrics are the metrics an alarm's properties watch: its own, or those of its metric math.
func alarmMetrics(props map[string]any) []metric {
	dims := func(v any) string {
		list, _ := v.([]any)
		var out []string
		for _, d := range list {
			value := fmt.Sprint(dig(d, "Value"))
			if refs := localdeploy.References(dig(d, "Value")); len(refs) == 1 {
				value = "!" + refs[0]
			}
			out = append(out, fmt.Sprint(dig(d, "Name"))+"="+value)
		}
		slices.Sort(out)
		return strings.Join(out, ",")
	}
	if name, ok := props["MetricName"].(string); ok {
		return []metric{{fmt.Sprint(props["Namespace"]), name, dims(props["Dimensions"])}}
	}
	var out []metric
	list, _ := props["Metrics"].([]any)
	for _, q := range list {
		if m := dig(q, "MetricStat", "Metric"); m != nil {
			out = append(out, metric{fmt.Sprint(dig(m, "Namespace")), fmt.Sprint(dig(m, "MetricName")), dims(dig(m, "Dimensions"))})
		}
	}
	return out
}

// wantedAlarms are the metrics that must each have an alarm: every function's errors and throttles,
// the API's 5xx answers and latency, the table's throttles and system errors, failed SMS and the
// month's SMS spend, and SES's bounce and complaint rates.
func wantedAlarms() []metric {
	var want []metric
	for _, fn := range functions {
		want = append(want, metric{"AWS/Lambda", "Errors", "FunctionName=!" + fn.LogicalID}, metric{"AWS/Lambda", "Throttles", "FunctionName=!" + fn.LogicalID})
	}
	return append(want,
		metric{"AWS/ApiGateway", "5xx", "ApiId=!Api"},
		metric{"AWS/ApiGateway", "Latency", "ApiId=!Api"},
		metric{"AWS/DynamoDB", "ReadThrottleEvents", "TableName=!Table"},
		metric{"AWS/DynamoDB", "WriteThrottleEvents", "TableName=!Table"},
		metric{"AWS/DynamoDB", "ReadThrottleEvents", "GlobalSecondaryIndexName=gsi1,TableName=!Table"},
		metric{"AWS/DynamoDB", "SystemErrors", "Operation=GetItem,TableName=!Table"},
		metric{"AWS/DynamoDB", "SystemErrors", "Operation=TransactWriteItems,TableName=!Table"},
		metric{"AWS/SNS", "SMSSuccessRate", ""},
		metric{"AWS/SNS", "SMSMonthToDateSpentUSD", ""},
		metric{"AWS/SES", "Reputation.BounceRate", ""},
		metric{"AWS/SES", "Reputation.ComplaintRate", ""},
	)
}

// testAlarms checks the alarms moto does not create: each wanted metric has one, and every alarm
// notifies the stack's topic when it fires and when it is OK again, and holds a quiet stack OK.
func testAlarms(t *testing.T, d *localdeploy.Deployment) {
	alarms := resourcesOfType(d, "AWS::CloudWatch::Alarm")
	watched := map[metric]string{}
	for _, id := range slices.Sorted(maps.Keys(alarms)) {
		props := alarms[id]
		for _, key := range []string{"AlarmActions", "OKActions"} {
			list, _ := props[key].([]any)
			if len(list) != 1 || !slices.Equal(localdeploy.References(list[0]), []string{"AlarmTopic"}) || resourceType(d, "AlarmTopic") != "AWS::SNS::Topic" {
				t.Errorf("%s: %s %v, want the one SNS topic AlarmTopic", id, key, props[key])
			}
		}
		if props["TreatMissingData"] != "notBreaching" {
			t.Errorf("%s: TreatMissingData %v, want notBreaching (no traffic is no fault)", id, props["TreatMissingData"])
		}
		ms := alarmMetrics(props)
		if len(ms) == 0 {
			t.Errorf("%s watches no metric", id)
		}
		for _, m := range ms {
			watched[m] = id
		}
	}
	for _, m := range wantedAlarms() {
		if _, ok := watched[m]; !ok {
			t.Errorf("no alarm watches %s", m)
		}
	}
	if id := watched[metric{"AWS/ApiGateway", "Latency", "ApiId=!Api"}]; id != "" && alarms[id]["ExtendedStatistic"] != "p99" {
		t.Errorf("%s: ExtendedStatistic %v, want p99", id, alarms[id]["ExtendedStatistic"])
	}
}

// testCanary checks the safe deploys moto does not run: each function's alias "live" is moved by its
// CodeDeploy deployment group, a canary of 10 % for 5 minutes that rolls back when any function's
// errors alarm fires.
func testCanary(t *testing.T, d *localdeploy.Deployment) {
	alarms := resourcesOfType(d, "AWS::CloudWatch::Alarm")
	var errorAlarms []string
	for id, props := range alarms {
		for _, m := range alarmMetrics(props) {
			if m.Namespace == "AWS/Lambda" && m.Name == "Errors" {
				errorAlarms = append(errorAlarms, id)
			}
		}
	}
	slices.Sort(errorAlarms)
	if len(errorAlarms) != len(functions) {
		t.Errorf("errors alarms %v, want one per function", errorAlarms)
	}
	resources, _ := d.Template["Resources"].(map[string]any)
	for _, fn := range functions {
		alias := aliasOf(fn.LogicalID)
		res, _ := resources[alias].(map[string]any)
		if res["Type"] != "AWS::Lambda::Alias" {
			t.Errorf("%s: no AWS::Lambda::Alias %s (AutoPublishAlias %s)", fn.LogicalID, alias, liveAlias)
			continue
		}
		props, _ := res["Properties"].(map[string]any)
		if props["Name"] != liveAlias || !slices.Equal(localdeploy.References(props["FunctionName"]), []string{fn.LogicalID}) {
			t.Errorf("%s: alias %v of %v, want %s of %s", alias, props["Name"], props["FunctionName"], liveAlias, fn.LogicalID)
		}
		version := localdeploy.References(props["FunctionVersion"])
		if len(version) != 1 || resourceType(d, version[0]) != "AWS::Lambda::Version" {
			t.Errorf("%s: FunctionVersion %v, want a published version", alias, props["FunctionVersion"])
		}
		group := localdeploy.References(dig(res, "UpdatePolicy", "CodeDeployLambdaAliasUpdate", "DeploymentGroupName"))
		if len(group) != 1 || resourceType(d, group[0]) != "AWS::CodeDeploy::DeploymentGroup" {
			t.Errorf("%s: UpdatePolicy %v, want a CodeDeploy deployment group to move it", alias, res["UpdatePolicy"])
			continue
		}
		dg, _ := dig(resources, group[0], "Properties").(map[string]any)
		if got := subText(dg["DeploymentConfigName"]); got != "CodeDeployDefault.LambdaCanary10Percent5Minutes" {
			t.Errorf("%s: DeploymentConfigName %q, want CodeDeployDefault.LambdaCanary10Percent5Minutes", group[0], got)
		}
		events, _ := dig(dg, "AutoRollbackConfiguration", "Events").([]any)
		if dig(dg, "AutoRollbackConfiguration", "Enabled") != true || !slices.Contains(events, any("DEPLOYMENT_STOP_ON_ALARM")) {
			t.Errorf("%s: AutoRollbackConfiguration %v, want a rollback on alarm", group[0], dg["AutoRollbackConfiguration"])
		}
		var named []string
		list, _ := dig(dg, "AlarmConfiguration", "Alarms").([]any)
		for _, a := range list {
			named = append(named, localdeploy.References(dig(a, "Name"))...)
		}
		slices.Sort(named)
		if dig(dg, "AlarmConfiguration", "Enabled") != true || !slices.Equal(named, errorAlarms) {
			t.Errorf("%s: rolls back on %v, want every function's errors alarm %v", group[0], named, errorAlarms)
		}
	}
}

// subText is the text of a Fn::Sub with only literal variables, substituted; a plain string as it is.
func subText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	list, _ := dig(v, "Fn::Sub").([]any)
	if len(list) != 2 {
		return fmt.Sprint(v)
	}
	text, _ := list[0].(string)
	vars, _ := list[1].(map[string]any)
	for k, val := range vars {
		text = strings.ReplaceAll(text, "${"+k+"}", fmt.Sprint(val))
	}
	return text
}

// resourceType is the type of a resource of the translated template, "" when there is none.
func resourceType(d *localdeploy.Deployment, id string) string {
	s, _ := dig(d.Template, "Resources", id, "Type").(string)
	return s
}
