package auth_test

import (
	"testing"

	"mfagateway/shared/auth"
)

// TestChooseLanguage: the user's cultureInfo chooses first, then the application's, then English. A
// regional tag takes its language, and a tag that matches no language with texts (or is empty or
// no tag at all) passes the choice on rather than choosing English itself.
func TestChooseLanguage(t *testing.T) {
	for _, tc := range languageChoices {
		t.Run(tc.name, func(t *testing.T) {
			if got := auth.ChooseLanguage(tc.user, tc.app); got != tc.want {
				t.Errorf("ChooseLanguage(%q, %q) = %q, want %q", tc.user, tc.app, got, tc.want)
			}
		})
	}
}

// languageChoices are cultureInfos of a user and an application, and the language they choose.
var languageChoices = []struct {
	name, user, app string
	want            auth.Language
}{
	{"neither set", "", "", auth.English},
	{"the user's Dutch", "nl-NL", "", auth.Dutch},
	{"the user's Belgian Dutch", "nl-BE", "", auth.Dutch},
	{"the user's Austrian German", "de-AT", "", auth.German},
	{"the user's Swiss German with a variant", "de-CH-1996", "", auth.German},
	{"the user's Canadian French", "fr-CA", "", auth.French},
	{"the user's British English over the application's Dutch", "en-GB", "nl-NL", auth.English},
	{"the user's French over the application's German", "fr", "de-DE", auth.French},
	{"the application's when the user has none", "", "nl-BE", auth.Dutch},
	{"the application's German when the user has none", "", "de-AT", auth.German},
	{"Brazilian Portuguese alone is English", "pt-BR", "", auth.English},
	{"Brazilian Portuguese passes to the application's Dutch", "pt-BR", "nl-NL", auth.Dutch},
	{"Japanese passes to the application's French", "ja", "fr-FR", auth.French},
	{"both without texts is English", "pt-BR", "es-ES", auth.English},
	{"a tag of no language passes on", "und", "de", auth.German},
	{"garbage passes to the application's", "not a tag!", "fr-BE", auth.French},
	{"garbage in both is English", "???", "-", auth.English},
	{"an unknown language passes on", "zz", "nl", auth.Dutch},
	{"underscore and case as stored before canonical tags", " NL_be ", "", auth.Dutch},
	{"a close language with texts takes them: Frisian reads Dutch", "fy", "fr", auth.Dutch},
	{"Luxembourgish reads German", "lb-LU", "", auth.German},
	// The matcher reads many languages (cy, ga, sw, zu, ur, bn, ...) as English with high confidence;
	// only a tag of English itself chooses English.
	{"Welsh passes to the application's French", "cy", "fr-FR", auth.French},
	{"Irish passes to the application's Dutch", "ga-IE", "nl", auth.Dutch},
	{"Swahili passes to the application's German", "sw", "de", auth.German},
	{"British English over the application's Dutch", "en-GB", "nl", auth.English},
}
