package dynamo_test

import (
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"mfagateway/shared/auth"
)

// TestApplicationPropertiesStored: on every engine the application's locale and second-factor
// properties survive a create and a replace in the item and in its url copy (which a login by url
// reads), an item written before they were kept reads as the defaults, and a user's mobile country
// is kept with the number.
func TestApplicationPropertiesStored(t *testing.T) {
	for _, eng := range storeEngines() {
		t.Run(eng.name, func(t *testing.T) {
			e := eng.start(t)(t)
			ctx := t.Context()
			now := time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)
			app := auth.Application{ID: "a1b2c3d4-0000-4000-8000-000000000001", Name: "Props", URL: "props.example.com",
				CultureInfo: "nl-NL", PhoneCountryCode: "+31", Authenticators: []auth.Channel{auth.ChannelSMS, auth.ChannelEmail},
				SMSCountries: []string{"NL", "BE"}, CreateDate: now, UpdateDate: now}
			if err := e.Store.CreateApplication(ctx, app); err != nil {
				t.Fatal(err)
			}
			sameProps := func(what string, got auth.Application, want auth.Application) {
				t.Helper()
				if got.CultureInfo != want.CultureInfo || got.PhoneCountryCode != want.PhoneCountryCode ||
					!slices.Equal(got.Authenticators, want.Authenticators) || !slices.Equal(got.SMSCountries, want.SMSCountries) {
					t.Errorf("%s: %+v, want the properties of %+v", what, got, want)
				}
			}
			read := func(what string, want auth.Application) {
				t.Helper()
				byID, err := e.Store.GetApplication(ctx, want.ID)
				if err != nil {
					t.Fatal(err)
				}
				sameProps(what+" by id", byID, want)
				byURL, err := e.Store.ApplicationByURL(ctx, want.URL)
				if err != nil {
					t.Fatal(err)
				}
				sameProps(what+" by url", byURL, want)
			}
			read("created", app)
			moved := replaceApp(t, e, app, func(a *auth.Application) {
				a.URL, a.SMSCountries, a.Authenticators = "moved.example.com", nil, []auth.Channel{auth.ChannelOTP}
			})
			read("replaced", moved)

			// An application item written before the properties were kept.
			_, err := e.Client.PutItem(ctx, &dynamodb.PutItemInput{TableName: &e.Table, Item: map[string]types.AttributeValue{
				"pk": &types.AttributeValueMemberS{Value: "APP#old"}, "appId": &types.AttributeValueMemberS{Value: "old"},
				"name": &types.AttributeValueMemberS{Value: "Old"}, "url": &types.AttributeValueMemberS{Value: ""},
				"uniqueIdentifier": &types.AttributeValueMemberS{Value: ""}, "enableMultiFactorAuthentication": &types.AttributeValueMemberBOOL{Value: true},
				"createDate": &types.AttributeValueMemberS{Value: now.Format(time.RFC3339)}, "updateDate": &types.AttributeValueMemberS{Value: now.Format(time.RFC3339)},
				"version": &types.AttributeValueMemberN{Value: "0"},
			}})
			if err != nil {
				t.Fatal(err)
			}
			old, err := e.Store.GetApplication(ctx, "old")
			if err != nil {
				t.Fatal(err)
			}
			sameProps("an old item", old, auth.Application{Authenticators: auth.DefaultAuthenticators})

			u := auth.User{ID: "u-1", Email: "be@example.com", Name: "Be", PasswordHash: "x", Mobile: "+32470123456", MobileCountry: "BE"}
			if err := e.Store.PutUser(ctx, u); err != nil {
				t.Fatal(err)
			}
			got, err := e.Store.GetUser(ctx, u.Email)
			if err != nil || got.MobileCountry != "BE" {
				t.Errorf("user read back: %+v, %v; want MobileCountry BE", got, err)
			}
		})
	}
}
