// Package qr draws QR codes as PNG images, for the enrolment of an authenticator app. Only the account
// function links it, so the login and verify functions carry no QR encoder.
package qr

import (
	qrcode "github.com/skip2/go-qrcode"
)

// Size is the width and height of a drawn code, in pixels: large enough for a phone's camera from a
// screen, small enough for a data URI.
const Size = 256

// Level is the error correction of a drawn code: medium (15 %), what authenticator apps scan well.
const Level = qrcode.Medium

// PNG draws text as a QR code, a Size×Size PNG image.
func PNG(text string) ([]byte, error) {
	return qrcode.Encode(text, Level, Size)
}
