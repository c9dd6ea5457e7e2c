package functions_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/awslabs/goformation/v7/intrinsics"

	"mfagateway/shared/httpapi"
)

// splitWithParameters evaluates Fn::Split, reading a Ref to a Parameter as that Parameter's value.
func splitWithParameters(_ string, input, template any) any {
	args, ok := input.([]any)
	if !ok || len(args) != 2 {
		return nil
	}
	sep, _ := args[0].(string)
	source := args[1]
	if ref, ok := decodeIntrinsic(source)["Ref"].(string); ok {
		source = intrinsics.Ref("Ref", ref, template)
	}
	s, _ := source.(string)
	var out []any
	for _, part := range strings.Split(s, sep) {
		out = append(out, part)
	}
	return out
}

// TestTemplateCORS holds the Api's CorsConfiguration to httpapi's CORS facts, which the local
// gateway serves too: none without CorsAllowedOrigins; with origins, exactly those, the headers and
// methods of the table and never credentials, a wildcard included.
func TestTemplateCORS(t *testing.T) {
	split := map[string]intrinsics.IntrinsicHandler{"Fn::Split": splitWithParameters}
	p, ok := openTemplate(t, nil).Parameters["CorsAllowedOrigins"]
	if !ok {
		t.Fatal("template.yaml has no Parameter CorsAllowedOrigins")
	}
	if p.Type != "String" || p.Default != "" || deref(p.AllowedPattern) != httpapi.CORSOriginsPattern {
		t.Errorf("CorsAllowedOrigins: Type %s, Default %v, AllowedPattern %s; want String, empty and httpapi.CORSOriginsPattern %s",
			p.Type, p.Default, deref(p.AllowedPattern), httpapi.CORSOriginsPattern)
	}
	if d := deref(p.Description); !strings.Contains(d, "CORS_ALLOWED_ORIGINS") {
		t.Errorf("CorsAllowedOrigins: Description %q does not name make run's CORS_ALLOWED_ORIGINS", d)
	}

	t.Run("off", func(t *testing.T) {
		api, err := openTemplateWith(t, nil, split).GetServerlessHttpApiWithName("Api")
		if err != nil {
			t.Fatal(err)
		}
		if c := api.CorsConfiguration; c != nil && (c.Boolean != nil || c.CorsConfigurationObject != nil) {
			t.Errorf("CorsConfiguration %+v without CorsAllowedOrigins, want none", c)
		}
	})
	for _, origins := range []string{"https://app.example.com,http://localhost:8080", "*"} {
		t.Run(origins, func(t *testing.T) {
			want, err := httpapi.ParseCORSOrigins(origins)
			if err != nil {
				t.Fatal(err)
			}
			api, err := openTemplateWith(t, map[string]any{"CorsAllowedOrigins": origins}, split).GetServerlessHttpApiWithName("Api")
			if err != nil {
				t.Fatal(err)
			}
			if api.CorsConfiguration == nil || api.CorsConfiguration.CorsConfigurationObject == nil {
				t.Fatalf("no CorsConfiguration object with CorsAllowedOrigins=%s", origins)
			}
			c := api.CorsConfiguration.CorsConfigurationObject
			for _, f := range []struct {
				name      string
				got, want []string
			}{
				{"AllowOrigins", c.AllowOrigins, want},
				{"AllowHeaders", c.AllowHeaders, httpapi.CORSAllowHeaders()},
				{"AllowMethods", c.AllowMethods, httpapi.CORSAllowMethods()},
				{"ExposeHeaders", c.ExposeHeaders, httpapi.CORSExposeHeaders()},
			} {
				if !slices.Equal(f.got, f.want) {
					t.Errorf("%s = %v, want %v", f.name, f.got, f.want)
				}
			}
			if deref(c.MaxAge) != httpapi.CORSMaxAge {
				t.Errorf("MaxAge = %s, want %d", fmtPtr(c.MaxAge), httpapi.CORSMaxAge)
			}
			if deref(c.AllowCredentials) {
				t.Errorf("AllowCredentials is true: never, and with %q not at all", httpapi.CORSWildcard)
			}
		})
	}
}

// TestCORSOriginsPattern: the parameter's pattern, which CloudFormation checks, and the local
// gateway's reading of CORS_ALLOWED_ORIGINS take the same lists.
func TestCORSOriginsPattern(t *testing.T) {
	for list, ok := range map[string]bool{
		"": true, "*": true, "https://app.example.com": true, "https://a.example.com,http://localhost:8080": true,
		"http://127.0.0.1:3000":   true,
		"*,https://a.example.com": false, "https://a.example.com/": false, "https://A.example.com": false,
		"https://a.example.com, https://b.example.com": false, "app.example.com": false, "ftp://a.example.com": false,
		"https://a.example.com,": false, "https://a.example.com:123456": false,
	} {
		_, err := httpapi.ParseCORSOrigins(list)
		if (err == nil) != ok {
			t.Errorf("ParseCORSOrigins(%q): %v, want ok %v", list, err, ok)
		}
	}
}
