package localdeploy

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
)

// makeStandIns makes, for each skipped resource of a type it knows, what the stack would have made:
// a Secrets Manager secret with its generated value. Other skipped types get none (the HTTP API: the
// functions are invoked directly, as API Gateway would invoke them).
func (d *Deployment) makeStandIns(ctx context.Context) error {
	for _, id := range sortedKeys(d.Skipped) {
		if d.Skipped[id] != "AWS::SecretsManager::Secret" {
			continue
		}
		props, _ := Dig(d.Template, "Resources", id, "Properties").(map[string]any)
		value, err := secretValue(props)
		if err != nil {
			return fmt.Errorf("%s: %w", id, err)
		}
		name, _ := props["Name"].(string)
		if name == "" {
			suffix, err := randomString(12, alphanumeric)
			if err != nil {
				return err
			}
			name = id + "-" + suffix // as CloudFormation names a secret without a Name
		}
		params := map[string]any{"Name": name, "SecretString": value}
		if desc, ok := props["Description"].(string); ok {
			params["Description"] = desc
		}
		var out struct{ ARN string }
		if err := d.AWS.Do(ctx, Call{Service: "secretsmanager", Op: "create_secret", Params: params, Out: &out}); err != nil {
			return fmt.Errorf("stand-in for %s: %w", id, err)
		}
		d.StandIns[id] = StandIn{Type: d.Skipped[id], Ref: out.ARN} // !Ref of a secret is its ARN
	}
	return nil
}

const (
	lowercase    = "abcdefghijklmnopqrstuvwxyz"
	uppercase    = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	digits       = "0123456789"
	punctuation  = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
	alphanumeric = lowercase + uppercase + digits
)

// secretValue is the value a secret's properties give it: SecretString, or one generated as
// GenerateSecretString says (Secrets Manager's GetRandomPassword rules).
func secretValue(props map[string]any) (string, error) {
	if s, ok := props["SecretString"].(string); ok {
		return s, nil
	}
	gen, ok := props["GenerateSecretString"].(map[string]any)
	if !ok {
		return "", fmt.Errorf("neither SecretString nor GenerateSecretString")
	}
	known := map[string]bool{"PasswordLength": true, "ExcludeCharacters": true, "ExcludeLowercase": true, "ExcludeUppercase": true,
		"ExcludeNumbers": true, "ExcludePunctuation": true, "IncludeSpace": true, "RequireEachIncludedType": true,
		"SecretStringTemplate": true, "GenerateStringKey": true}
	for k := range gen {
		if !known[k] {
			return "", fmt.Errorf("GenerateSecretString.%s is not generated here", k)
		}
	}
	flag := func(k string) bool { b, _ := gen[k].(bool); return b }
	length := 32
	if n, ok := gen["PasswordLength"].(float64); ok {
		length = int(n)
	}
	exclude, _ := gen["ExcludeCharacters"].(string)
	var classes []string
	for _, c := range []struct {
		set  string
		skip bool
	}{{lowercase, flag("ExcludeLowercase")}, {uppercase, flag("ExcludeUppercase")}, {digits, flag("ExcludeNumbers")}, {punctuation, flag("ExcludePunctuation")}, {" ", !flag("IncludeSpace")}} {
		if kept := strings.Map(func(r rune) rune {
			if strings.ContainsRune(exclude, r) {
				return -1
			}
			return r
		}, c.set); !c.skip && kept != "" {
			classes = append(classes, kept)
		}
	}
	if len(classes) == 0 || length < len(classes) {
		return "", fmt.Errorf("GenerateSecretString leaves no password of length %d", length)
	}
	requireEach := true
	if b, ok := gen["RequireEachIncludedType"].(bool); ok {
		requireEach = b
	}
	var value string
	for {
		var err error
		if value, err = randomString(length, strings.Join(classes, "")); err != nil {
			return "", err
		}
		if !requireEach || everyClass(value, classes) {
			break
		}
	}
	tmpl, _ := gen["SecretStringTemplate"].(string)
	key, _ := gen["GenerateStringKey"].(string)
	if tmpl == "" && key == "" {
		return value, nil
	}
	var obj map[string]any
	if err := json.Unmarshal([]byte(tmpl), &obj); err != nil || key == "" {
		return "", fmt.Errorf("SecretStringTemplate needs a JSON object and GenerateStringKey a name")
	}
	obj[key] = value
	out, err := json.Marshal(obj)
	return string(out), err
}

func everyClass(s string, classes []string) bool {
	for _, c := range classes {
		if !strings.ContainsAny(s, c) {
			return false
		}
	}
	return true
}

func randomString(n int, alphabet string) (string, error) {
	var b strings.Builder
	max := big.NewInt(int64(len(alphabet)))
	for range n {
		i, err := rand.Int(rand.Reader, max)
		if err != nil {
			return "", err
		}
		b.WriteByte(alphabet[i.Int64()])
	}
	return b.String(), nil
}
