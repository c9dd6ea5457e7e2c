package localdeploy

import (
	"archive/zip"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// declared is a Parameters section as template.yaml writes its kinds of parameter.
const declared = `{
	"SenderEmail": {"Type": "String", "AllowedPattern": "^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$",
		"ConstraintDescription": "must be an e-mail address such as no-reply@example.com."},
	"SmsSenderId": {"Type": "String", "Default": "", "AllowedPattern": "[A-Za-z0-9]{0,11}"},
	"LogLevel": {"Type": "String", "Default": "INFO", "AllowedValues": ["DEBUG", "INFO"]},
	"Protection": {"Type": "String", "Default": "true", "AllowedValues": ["true", "false"]},
	"Name": {"Type": "String", "Default": "abc", "MinLength": 2, "MaxLength": 4},
	"Count": {"Type": "Number", "Default": 3, "MinValue": 1, "MaxValue": 10}
}`

func TestResolveParameters(t *testing.T) {
	var params map[string]parameter
	if err := json.Unmarshal([]byte(declared), &params); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		given map[string]string
		want  string // the error, or "" when the values are accepted
	}{
		{"defaults", map[string]string{"SenderEmail": "a@b.co"}, ""},
		{"all given", map[string]string{"SenderEmail": "a@b.co", "SmsSenderId": "Gateway", "LogLevel": "DEBUG", "Name": "abcd", "Count": "10"}, ""},
		{"missing", map[string]string{}, "Parameters: [SenderEmail] must have values"},
		{"unknown", map[string]string{"SenderEmail": "a@b.co", "Other": "x", "Another": "y"}, "Parameters: [Another, Other] do not exist in the template"},
		{"pattern with its description", map[string]string{"SenderEmail": "ab.co"},
			"Parameter 'SenderEmail' failed to satisfy constraint: must be an e-mail address such as no-reply@example.com."},
		// CloudFormation matches the whole value, anchors or not.
		{"whole value", map[string]string{"SenderEmail": "a@b.co", "SmsSenderId": "MfaGateway12"}, "Parameter 'SmsSenderId' must match pattern [A-Za-z0-9]{0,11}"},
		{"pattern", map[string]string{"SenderEmail": "a@b.co", "SmsSenderId": "Mfa-Gateway"}, "Parameter 'SmsSenderId' must match pattern"},
		{"allowed values", map[string]string{"SenderEmail": "a@b.co", "LogLevel": "debug"}, "Parameter 'LogLevel' must be one of AllowedValues"},
		{"too short", map[string]string{"SenderEmail": "a@b.co", "Name": "a"}, "Parameter 'Name' must contain at least 2 characters"},
		{"too long", map[string]string{"SenderEmail": "a@b.co", "Name": "abcde"}, "Parameter 'Name' must contain at most 4 characters"},
		{"not a number", map[string]string{"SenderEmail": "a@b.co", "Count": "three"}, "Parameter 'Count' must be a number"},
		{"too big", map[string]string{"SenderEmail": "a@b.co", "Count": "11"}, "Parameter 'Count' must be a number not greater than 10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			values, err := resolveParameters(params, tt.given)
			if tt.want != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
					t.Fatalf("error %v, want %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := slices.Sorted(maps.Keys(values)); !slices.Equal(got, slices.Sorted(maps.Keys(params))) {
				t.Errorf("values for %v, want every parameter", got)
			}
			for k, v := range tt.given {
				if values[k] != v {
					t.Errorf("%s = %q, want the given %q", k, values[k], v)
				}
			}
		})
	}
	t.Run("default values as text", func(t *testing.T) {
		values, err := resolveParameters(params, map[string]string{"SenderEmail": "a@b.co"})
		if err != nil {
			t.Fatal(err)
		}
		if values["Count"] != "3" || values["Protection"] != "true" || values["SmsSenderId"] != "" {
			t.Errorf("defaults %v, want Count 3, Protection true, SmsSenderId empty", values)
		}
	})
}

func TestSecretValue(t *testing.T) {
	t.Run("as the template generates it", func(t *testing.T) {
		v, err := secretValue(map[string]any{"GenerateSecretString": map[string]any{"PasswordLength": float64(64), "ExcludePunctuation": true}})
		if err != nil {
			t.Fatal(err)
		}
		if len(v) != 64 || strings.Trim(v, alphanumeric) != "" {
			t.Errorf("%q: want 64 letters and digits", v)
		}
		for _, class := range []string{lowercase, uppercase, digits} {
			if !strings.ContainsAny(v, class) {
				t.Errorf("%q has none of %s (RequireEachIncludedType is on by default)", v, class)
			}
		}
	})
	t.Run("excluded characters", func(t *testing.T) {
		v, err := secretValue(map[string]any{"GenerateSecretString": map[string]any{"ExcludeCharacters": "abc", "ExcludeUppercase": true}})
		if err != nil {
			t.Fatal(err)
		}
		if len(v) != 32 || strings.ContainsAny(v, "abc"+uppercase+" ") {
			t.Errorf("%q: want 32 characters, none of abc, no capital, no space", v)
		}
	})
	t.Run("in a JSON template", func(t *testing.T) {
		v, err := secretValue(map[string]any{"GenerateSecretString": map[string]any{"SecretStringTemplate": `{"user":"u"}`, "GenerateStringKey": "password"}})
		if err != nil {
			t.Fatal(err)
		}
		var obj map[string]string
		if err := json.Unmarshal([]byte(v), &obj); err != nil || obj["user"] != "u" || len(obj["password"]) != 32 {
			t.Errorf("%s (%v): want the template with a 32-character password", v, err)
		}
	})
	t.Run("given", func(t *testing.T) {
		if v, err := secretValue(map[string]any{"SecretString": "s"}); v != "s" || err != nil {
			t.Errorf("%q, %v; want s", v, err)
		}
	})
	t.Run("an option it cannot honour", func(t *testing.T) {
		if _, err := secretValue(map[string]any{"GenerateSecretString": map[string]any{"Unknown": true}}); err == nil {
			t.Error("no error for an unknown option")
		}
	})
}

func TestReferences(t *testing.T) {
	var v any
	raw := `{"a": {"Ref": "Table"}, "b": {"Fn::GetAtt": ["Role", "Arn"]},
		"c": {"Fn::Sub": "arn:${AWS::Partition}:x:${Secret}/${Fn.Arn}/${!Literal}"},
		"d": {"Fn::Sub": ["${__Api__}/${Stage}", {"__Api__": {"Ref": "Api"}}]}, "e": [{"Ref": "AWS::Region"}]}`
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		t.Fatal(err)
	}
	if got, want := References(v), []string{"Api", "Fn", "Role", "Secret", "Stage", "Table"}; !slices.Equal(got, want) {
		t.Errorf("References = %v, want %v", got, want)
	}
}

func TestZipDir(t *testing.T) {
	dir := t.TempDir()
	bootstrap := filepath.Join(dir, "bootstrap")
	if err := os.WriteFile(bootstrap, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	first := filepath.Join(t.TempDir(), "a.zip")
	sha, key, err := zipDir(dir, first)
	if err != nil {
		t.Fatal(err)
	}
	// A later build of the same bytes makes the same zip: the same key, no new upload.
	if err := os.Chtimes(bootstrap, time.Now(), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	sha2, key2, err := zipDir(dir, filepath.Join(t.TempDir(), "b.zip"))
	if err != nil || sha2 != sha || key2 != key {
		t.Errorf("the same file zipped again: %s %s (%v), want %s %s", sha2, key2, err, sha, key)
	}
	zr, err := zip.OpenReader(first)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	if len(zr.File) != 1 || zr.File[0].Name != "bootstrap" || zr.File[0].Mode().Perm() != 0o755 {
		t.Errorf("zip holds %v, want bootstrap with mode 0755", zr.File)
	}
	if _, err := Arch(bootstrap); err == nil {
		t.Error("Arch of a shell script: no error")
	}
}

func TestSAMFunctions(t *testing.T) {
	tpl := func(props, metadata string) map[string]any {
		var m map[string]any
		raw := `{"Globals": {"Function": {"CodeUri": "."}}, "Resources": {"Fn": {"Type": "AWS::Serverless::Function",
			"Metadata": ` + metadata + `, "Properties": ` + props + `}, "Table": {"Type": "AWS::DynamoDB::Table"}}}`
		if err := json.Unmarshal([]byte(raw), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	fns, err := samFunctions(tpl(`{}`, `{"BuildMethod": "makefile"}`))
	if err != nil || len(fns) != 1 || fns[0] != (samFunction{LogicalID: "Fn", BuildMethod: "makefile", CodeURI: "."}) {
		t.Errorf("functions %+v (%v), want Fn built by makefile from the Globals' CodeUri", fns, err)
	}
	if fns, _ := samFunctions(tpl(`{"CodeUri": "src"}`, `{"BuildMethod": "makefile"}`)); len(fns) != 1 || fns[0].CodeURI != "src" {
		t.Errorf("functions %+v, want the function's own CodeUri", fns)
	}
	for _, tt := range []struct{ props, metadata, want string }{
		{`{}`, `{"BuildMethod": "go1.x"}`, `BuildMethod "go1.x": only makefile`},
		{`{}`, `{}`, `BuildMethod "": only makefile`},
		{`{"CodeUri": "s3://b/k"}`, `{"BuildMethod": "makefile"}`, "want a directory"},
	} {
		if _, err := samFunctions(tpl(tt.props, tt.metadata)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s %s: error %v, want %q", tt.props, tt.metadata, err, tt.want)
		}
	}
}
