package auth

import (
	"strings"

	"mfagateway/shared/mask"
)

// maskedValues are the email and number a change gave in the masked form that answers about another
// user show (mask.Email, mask.Phone). Such a value is no address or number: it stands for the one
// stored, so that an entity read and written back as it is changes neither, and it is checked against
// that one rather than validated.
type maskedValues struct {
	email, mobile *string
}

// takeMasked moves out of p the email and number that are in masked form.
func (p *UserPatch) takeMasked() maskedValues {
	var m maskedValues
	if p.Email != nil && isMaskedEmail(*p.Email) {
		m.email, p.Email = p.Email, nil
	}
	if p.Mobile != nil && strings.Contains(*p.Mobile, "*") { // no digit of a number is a star
		m.mobile, p.Mobile = p.Mobile, nil
	}
	return m
}

// isMaskedEmail reports whether s is in the form mask.Email gives, which masking leaves as it is.
func isMaskedEmail(s string) bool {
	e := NormalizeEmail(s)
	return mask.Email(e) == e
}

// unchangedFrom is nil when each masked value is the mask of prev's value, and otherwise names the
// property that is not: a masked value of another address or number says nothing it could be set to.
func (m maskedValues) unchangedFrom(prev User) error {
	if m.email != nil && NormalizeEmail(*m.email) != mask.Email(prev.Email) {
		return &PropertyError{"email", "is masked and is not the mask of the user's email; send the address in full to change it."}
	}
	if m.mobile != nil && (prev.Mobile == "" || strings.TrimSpace(*m.mobile) != mask.Phone(prev.Mobile)) {
		return &PropertyError{"mobilePhone", "is masked and is not the mask of the user's number; send the number in full to change it."}
	}
	return nil
}
