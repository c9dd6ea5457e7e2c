package auth

import "context"

// notifyChange tells the user what a change by an admin or an application did to where their codes
// go: a new email to the old address, a new (or removed) mobile number to the email the user had
// before the change, so that a change of both at once is still seen where the user reads. Nothing
// when neither changed; a notification never fails the change.
func (s *Users) notifyChange(ctx context.Context, who Session, prev, next User) {
	if s.d.Notifier == nil || prev.Email == next.Email && prev.Mobile == next.Mobile {
		return
	}
	culture := s.appCulture(ctx, next, who.AppID)
	if prev.Email != next.Email {
		s.d.Notifier.Notify(ctx, next, culture, NoticeEmailChanged, NoticeData{To: prev.Email, NewEmail: next.Email})
	}
	if prev.Mobile != next.Mobile {
		s.d.Notifier.Notify(ctx, next, culture, NoticeMobileChanged, NoticeData{To: prev.Email, NewMobile: next.Mobile})
	}
}

// notify tells u kind by email, in u's language, else that of the session's application.
func (s *Users) notify(ctx context.Context, who Session, u User, kind Notice, d NoticeData) {
	if s.d.Notifier != nil {
		s.d.Notifier.Notify(ctx, u, s.appCulture(ctx, u, who.AppID), kind, d)
	}
}
