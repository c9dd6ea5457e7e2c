package auth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"mfagateway/shared/auth"
	"mfagateway/shared/fault/faulttest"
)

// The notices, each with data that says all it can.
var noticeSamples = []struct {
	kind auth.Notice
	data auth.NoticeData
}{
	{auth.NoticePasswordChanged, auth.NoticeData{}},
	{auth.NoticeEmailChanged, auth.NoticeData{To: "ada@example.com", NewEmail: "new.address@example.org"}},
	{auth.NoticeMobileChanged, auth.NoticeData{NewMobile: "+31687654321"}},
	{auth.NoticeMobileChanged, auth.NoticeData{}}, // removed
	{auth.NoticeAuthenticatorAdded, auth.NoticeData{Authenticator: "OTP"}},
	{auth.NoticeAuthenticatorRemoved, auth.NoticeData{Authenticator: "OTP"}},
	{auth.NoticeRecoveryCodeUsed, auth.NoticeData{Remaining: 9}},
	{auth.NoticeSecondFactorBackoff, auth.NoticeData{}},
}

// noticeClock is 15:05 in a zone an hour ahead of UTC: a notice says 14:05 UTC.
func noticeClock() time.Time {
	return time.Date(2026, 12, 2, 15, 5, 59, 0, time.FixedZone("CET", 3600))
}

const noticeWhen = "2026-12-02 14:05 UTC"

// noticeUser is the user notices go to in these tests; the email is the one emailChanged replaced.
var noticeUser = auth.User{ID: "u-1", Email: "new.address@example.org", Name: "Ada"}

// notifyOnce sends one notice in the language the cultureInfos choose and returns what went out.
func notifyOnce(t *testing.T, u auth.User, appCulture string, kind auth.Notice, d auth.NoticeData) auth.Message {
	t.Helper()
	sender := &fakeSender{name: "LocalOutbox"}
	auth.NewNotifier(sender, noticeClock, nil).Notify(context.Background(), u, appCulture, kind, d)
	sent := sender.Sent()
	if len(sent) != 1 {
		t.Fatalf("%s sent %d messages, want 1: %+v", kind, len(sent), sent)
	}
	return sent[0]
}

// TestNoticesInEveryLanguage: every notice renders in every language to the user's address (or the
// one it names), says when in UTC, leaves no template text, holds no link, and shows a new address
// only masked.
func TestNoticesInEveryLanguage(t *testing.T) {
	cultures := map[auth.Language]string{auth.English: "en-GB", auth.Dutch: "nl-NL", auth.German: "de-DE", auth.French: "fr-FR"}
	for _, tc := range noticeSamples {
		english := map[string]string{}
		for _, lang := range []auth.Language{auth.English, auth.Dutch, auth.German, auth.French} {
			u := noticeUser
			u.CultureInfo = cultures[lang]
			t.Run(string(tc.kind)+"/"+string(lang)+"/"+tc.data.NewMobile, func(t *testing.T) {
				m := notifyOnce(t, u, "", tc.kind, tc.data)
				to := tc.data.To
				if to == "" {
					to = u.Email
				}
				if m.To != to {
					t.Errorf("sent to %q, want %q", m.To, to)
				}
				if !strings.Contains(m.Body, noticeWhen) {
					t.Errorf("the body does not say when (%s):\n%s", noticeWhen, m.Body)
				}
				for _, s := range []string{m.Subject, m.Body} {
					if strings.TrimSpace(s) == "" || strings.ContainsAny(s, "{}") || strings.Contains(s, "<no value>") {
						t.Errorf("renders %q", s)
					}
				}
				for _, leak := range []string{"://", "new.address", "87654321", "687654321"} {
					if strings.Contains(m.Subject+m.Body, leak) {
						t.Errorf("holds %q:\n%s\n%s", leak, m.Subject, m.Body)
					}
				}
				switch {
				case tc.data.NewEmail != "" && !strings.Contains(m.Body, "n***@example.org"):
					t.Errorf("the body lacks the masked new email:\n%s", m.Body)
				case tc.data.NewMobile != "" && !strings.Contains(m.Body, "+31******21"):
					t.Errorf("the body lacks the masked new number:\n%s", m.Body)
				}
				if lang == auth.English {
					english["subject"], english["body"] = m.Subject, m.Body
				} else if m.Subject == english["subject"] || m.Body == english["body"] {
					t.Errorf("in %s is English's text:\n%s", lang, m.Body)
				}
			})
		}
	}
}

// TestNoticeWording: what the data changes in a notice, in English.
func TestNoticeWording(t *testing.T) {
	for _, tc := range []struct {
		name   string
		kind   auth.Notice
		data   auth.NoticeData
		want   []string
		absent []string
	}{
		{"a new number", auth.NoticeMobileChanged, auth.NoticeData{NewMobile: "+31687654321"},
			[]string{"was changed on " + noticeWhen + " to +31******21."}, []string{"removed"}},
		{"a removed number", auth.NoticeMobileChanged, auth.NoticeData{},
			[]string{"was removed on " + noticeWhen + "."}, []string{"+"}},
		{"a new email", auth.NoticeEmailChanged, auth.NoticeData{NewEmail: "New.Address@Example.org"},
			[]string{"was changed on " + noticeWhen + " to N***@Example.org."}, nil},
		{"the authenticator app", auth.NoticeAuthenticatorAdded, auth.NoticeData{Authenticator: "OTP"},
			[]string{"added to your account on " + noticeWhen + ": authenticator app."}, []string{"OTP"}},
		{"codes by text message", auth.NoticeAuthenticatorRemoved, auth.NoticeData{Authenticator: "SMS"},
			[]string{"removed from your account on " + noticeWhen + ": codes by text message."}, nil},
		{"an authenticator the templates do not know", auth.NoticeAuthenticatorAdded, auth.NoticeData{Authenticator: "security key"},
			[]string{": security key."}, nil},
		{"no authenticator named", auth.NoticeAuthenticatorAdded, auth.NoticeData{},
			[]string{"added to your account on " + noticeWhen + "."}, []string{": "}},
		{"recovery codes left", auth.NoticeRecoveryCodeUsed, auth.NoticeData{Remaining: 9},
			[]string{"You have 9 recovery codes left."}, nil},
		{"one recovery code left", auth.NoticeRecoveryCodeUsed, auth.NoticeData{Remaining: 1},
			[]string{"You have 1 recovery code left."}, nil},
		{"no recovery code left", auth.NoticeRecoveryCodeUsed, auth.NoticeData{},
			[]string{"You have no recovery codes left: create a new set"}, nil},
		{"second-factor backoff", auth.NoticeSecondFactorBackoff, auth.NoticeData{},
			[]string{"entered your password correctly but failed the second factor", "If this was not you, change your password"}, nil},
		{"a changed password", auth.NoticePasswordChanged, auth.NoticeData{},
			[]string{"changed on " + noticeWhen + ".", "If you did not do this"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := notifyOnce(t, noticeUser, "", tc.kind, tc.data)
			for _, w := range tc.want {
				if !strings.Contains(m.Body, w) {
					t.Errorf("the body lacks %q:\n%s", w, m.Body)
				}
			}
			for _, a := range tc.absent {
				if strings.Contains(m.Body, a) {
					t.Errorf("the body holds %q:\n%s", a, m.Body)
				}
			}
		})
	}
}

// TestNotifyChoosesLanguage: a notice is in the language ChooseLanguage gives the user's and the
// application's cultureInfo, for every pair of TestChooseLanguage (nl-BE reads Dutch, pt-BR passes to
// the application's language, else English).
func TestNotifyChoosesLanguage(t *testing.T) {
	subjects := map[auth.Language]string{
		auth.English: "Your password was changed",
		auth.Dutch:   "Uw wachtwoord is gewijzigd",
		auth.German:  "Ihr Passwort wurde geändert",
		auth.French:  "Votre mot de passe a été modifié",
	}
	for _, tc := range languageChoices {
		t.Run(tc.name, func(t *testing.T) {
			u := noticeUser
			u.CultureInfo = tc.user
			if m := notifyOnce(t, u, tc.app, auth.NoticePasswordChanged, auth.NoticeData{}); m.Subject != subjects[tc.want] {
				t.Errorf("subject %q, want %s's %q", m.Subject, tc.want, subjects[tc.want])
			}
		})
	}
}

// logEntries are the JSON lines of a log.
func logEntries(t *testing.T, logs *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.Lines(logs.String()) {
		var e map[string]any
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, e)
	}
	return out
}

// TestNotifyLogsAndDrops: Notify answers nothing, so what it did is in its one log line: sent at
// INFO, or skipped, or not sent at WARN with the reason; never a full address, the new address or
// AWS's message (which can hold the recipient).
func TestNotifyLogsAndDrops(t *testing.T) {
	for _, tc := range []struct {
		name            string
		sender          auth.Sender
		kind            auth.Notice
		level, msg, out string
		errorHas        string // in the error field, when there is one
	}{
		{"sent", &fakeSender{name: "LocalOutbox"}, auth.NoticeEmailChanged, "INFO", "notification sent", "sent", ""},
		{"a failing sender", refusingSender{}, auth.NoticeEmailChanged, "WARN", "notification not sent", "send_failed", "InvalidParameter"},
		{"a failing transport", &fakeSender{name: "AmazonSES", err: errors.New("connection reset")}, auth.NoticePasswordChanged, "WARN", "notification not sent", "send_failed", "connection reset"},
		{"no sender", nil, auth.NoticeEmailChanged, "INFO", "notification skipped", "skipped", ""},
		{"a notice that does not exist", &fakeSender{name: "LocalOutbox"}, auth.Notice("bindingCode"), "WARN", "notification not sent", "render_failed", "bindingCode"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			n := auth.NewNotifier(tc.sender, noticeClock, log)
			n.Notify(context.Background(), noticeUser, "", tc.kind, auth.NoticeData{To: "ada@example.com", NewEmail: "new.address@example.org"})
			entries := logEntries(t, &logs)
			if len(entries) != 1 {
				t.Fatalf("%d log lines, want 1:\n%s", len(entries), logs.String())
			}
			e := entries[0]
			for k, want := range map[string]string{"level": tc.level, "msg": tc.msg, "event": "notify", "outcome": tc.out,
				"kind": string(tc.kind), "destination": "a***@example.com", "userId": noticeUser.ID} {
				if got, _ := e[k].(string); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			if errText, _ := e["error"].(string); !strings.Contains(errText, tc.errorHas) {
				t.Errorf("error = %q, want it to hold %q", errText, tc.errorHas)
			}
			for _, leak := range []string{"ada@example.com", "new.address", "n***@example.org", faulttest.Table, "ada.private"} {
				if strings.Contains(logs.String(), leak) {
					t.Errorf("the log holds %q:\n%s", leak, logs.String())
				}
			}
			if f, ok := tc.sender.(*fakeSender); ok && tc.out != "sent" && f.err == nil && len(f.Sent()) != 0 {
				t.Errorf("sent %+v, want nothing", f.Sent())
			}
		})
	}
}

// TestNilNotifierDoesNothing: a flow without a notifier notifies nobody and does not fail.
func TestNilNotifierDoesNothing(t *testing.T) {
	var n *auth.Notifier
	n.Notify(context.Background(), noticeUser, "", auth.NoticePasswordChanged, auth.NoticeData{})
	auth.NewNotifier(nil, nil, nil).Notify(context.Background(), noticeUser, "", auth.NoticePasswordChanged, auth.NoticeData{})
}

// contextSender records the context its send got.
type contextSender struct {
	err      error
	deadline time.Time
	limited  bool
}

func (s *contextSender) Send(ctx context.Context, _ auth.Message) error {
	s.err = ctx.Err()
	s.deadline, s.limited = ctx.Deadline()
	return nil
}

func (s *contextSender) Name() string { return "LocalOutbox" }

// TestNotifyOutlivesTheRequest: the send gets its own bounded context, so a request that has ended
// (its context cancelled) still has its notification sent.
func TestNotifyOutlivesTheRequest(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s := &contextSender{}
	before := time.Now()
	auth.NewNotifier(s, nil, nil).Notify(ctx, noticeUser, "", auth.NoticePasswordChanged, auth.NoticeData{})
	after := time.Now()
	if s.err != nil {
		t.Errorf("the send's context is done: %v", s.err)
	}
	// The budget starts within Notify, so its end lies 2 s after some moment between before and after.
	if !s.limited || s.deadline.Before(before.Add(2*time.Second)) || s.deadline.After(after.Add(2*time.Second)) {
		t.Errorf("the send's deadline is %v (set: %v), want 2 s from the call", s.deadline, s.limited)
	}
}
