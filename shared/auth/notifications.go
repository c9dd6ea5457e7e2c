package auth

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"mfagateway/shared/fault"
	"mfagateway/shared/mask"
)

// Notifications tell a user, by email, that something changed on their account, so that a change
// they did not make does not go unseen. A notification never carries a secret: no code, no ticket,
// no link that holds one, and addresses only masked.

// Notice is what a notification tells.
type Notice string

// The notices; each value names its templates.
const (
	NoticePasswordChanged      Notice = "passwordChanged"
	NoticeEmailChanged         Notice = "emailChanged"
	NoticeMobileChanged        Notice = "mobileChanged"
	NoticeAuthenticatorAdded   Notice = "authenticatorAdded"
	NoticeAuthenticatorRemoved Notice = "authenticatorRemoved"
	NoticeRecoveryCodeUsed     Notice = "recoveryCodeUsed"
	NoticeSecondFactorBackoff  Notice = "secondFactorBackoff"
)

// notices are every Notice; each is also the MessageKind of its templates.
var notices = []Notice{
	NoticePasswordChanged, NoticeEmailChanged, NoticeMobileChanged, NoticeAuthenticatorAdded,
	NoticeAuthenticatorRemoved, NoticeRecoveryCodeUsed, NoticeSecondFactorBackoff,
}

func noticeKinds() []MessageKind {
	kinds := make([]MessageKind, len(notices))
	for i, n := range notices {
		kinds[i] = MessageKind(n)
	}
	return kinds
}

// NoticeData is what a notification may say besides its kind. Only masked addresses.
type NoticeData struct {
	To        string // the address to write to; empty is the user's email (emailChanged sets the old one)
	NewEmail  string // full; the notice shows it masked (mask.Email)
	NewMobile string // full E.164 or empty (removed); shown masked (mask.Phone)
	// Authenticator is the authenticatorCode added or removed (OTP, SMS, Email), which the templates
	// word in the reader's language; any other value is shown as it is.
	Authenticator string
	Remaining     int // recovery codes left
}

// noticeData is what a notice's templates say: the addresses masked, the time in UTC.
type noticeData struct {
	When          string
	NewEmail      string // masked, empty when none was given
	NewMobile     string // masked, empty when the number was removed
	Authenticator string
	Remaining     int
}

// noticeTimeLayout words a notice's time the same in every language, in UTC, to the minute.
const noticeTimeLayout = "2006-01-02 15:04 UTC"

// noticeMessage is the notification of kind in lang to to, telling d as of when.
func noticeMessage(lang Language, kind Notice, to string, d NoticeData, when time.Time) (Message, error) {
	if !slices.Contains(notices, kind) {
		return Message{}, fmt.Errorf("no notice %q", kind)
	}
	data := noticeData{
		When:          when.UTC().Format(noticeTimeLayout),
		Authenticator: d.Authenticator,
		Remaining:     d.Remaining,
	}
	if d.NewEmail != "" {
		data.NewEmail = mask.Email(d.NewEmail)
	}
	if d.NewMobile != "" {
		data.NewMobile = mask.Phone(d.NewMobile)
	}
	return render(lang, MessageKind(kind), to, data)
}

// notifyBudget bounds a notification's send. It runs past the request's own end, so that an answer
// already written does not cut it off, within the margin the handlers keep before the Lambda timeout.
const notifyBudget = 2 * time.Second

// Notifier writes notifications to users by email.
type Notifier struct {
	email Sender
	clock func() time.Time
	log   *slog.Logger
}

// NewNotifier returns a Notifier that sends by email, the Sender of the email channel (SES, or the
// local outbox); a nil email sends nothing and logs each notification as skipped. A nil clock is
// time.Now, a nil log discards.
func NewNotifier(email Sender, clock func() time.Time, log *slog.Logger) *Notifier {
	if clock == nil {
		clock = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Notifier{email: email, clock: clock, log: log}
}

// Notify writes kind to the user in ChooseLanguage(u.CultureInfo, appCulture) and sends it by email,
// to d.To or else the user's email. It never fails the caller: what it tells has already happened, so
// a render or send failure is logged and dropped. A nil *Notifier does nothing.
func (n *Notifier) Notify(ctx context.Context, u User, appCulture string, kind Notice, d NoticeData) {
	if n == nil {
		return
	}
	to := d.To
	if to == "" {
		to = u.Email
	}
	log := n.log.With("event", "notify", "kind", string(kind), "destination", mask.Email(to), "userId", u.ID)
	switch {
	case n.email == nil:
		log.InfoContext(ctx, "notification skipped", "outcome", "skipped", "reason", "no_sender")
		return
	case to == "":
		log.WarnContext(ctx, "notification skipped", "outcome", "skipped", "reason", "no_address")
		return
	}
	lang := ChooseLanguage(u.CultureInfo, appCulture)
	m, err := noticeMessage(lang, kind, to, d, n.clock())
	if err != nil {
		log.WarnContext(ctx, "notification not sent", "outcome", "render_failed", "error", fault.Text(err))
		return
	}
	// Its own budget, so that a request cancelled meanwhile does not cut it, but never past the
	// request's deadline: the action it reports is done, and its answer must still make it in time.
	deadline := time.Now().Add(notifyBudget)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	sctx, cancel := context.WithDeadline(context.WithoutCancel(ctx), deadline)
	defer cancel()
	if err := n.email.Send(sctx, m); err != nil {
		// Through fault.Text: the provider's message can hold the recipient.
		log.WarnContext(ctx, "notification not sent", "outcome", "send_failed", "provider", n.email.Name(), "error", fault.Text(err))
		return
	}
	log.InfoContext(ctx, "notification sent", "outcome", "sent", "language", string(lang), "provider", n.email.Name())
}
