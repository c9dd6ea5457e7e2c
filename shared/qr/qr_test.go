package qr_test

import (
	"bytes"
	"image/png"
	"testing"

	qrcode "github.com/skip2/go-qrcode"

	"mfagateway/shared/qr"
)

// The PNG is read back module by module: every module's centre is dark exactly where the QR code of
// the text has a dark module, so the image holds that text and nothing else.
func TestPNGHoldsTheText(t *testing.T) {
	const text = "otpauth://totp/Demo:ada@example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Demo&digits=6&period=30"
	b, err := qr.PNG(text)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if r := img.Bounds(); r.Dx() != qr.Size || r.Dy() != qr.Size {
		t.Fatalf("image %v, want %d×%d", r, qr.Size, qr.Size)
	}
	code, err := qrcode.New(text, qr.Level)
	if err != nil {
		t.Fatal(err)
	}
	modules := code.Bitmap() // with its quiet zone, as drawn
	n := len(modules)
	if n < 21 {
		t.Fatalf("%d modules a side: not a QR code", n)
	}
	// The drawing stretches the modules over the whole image: module i spans pixels i·Size/n on.
	centre := func(i int) int { return int((float64(i) + 0.5) * qr.Size / float64(n)) }
	for y := range n {
		for x := range n {
			r, _, _, _ := img.At(centre(x), centre(y)).RGBA()
			if dark := r < 0x8000; dark != modules[y][x] {
				t.Fatalf("module (%d, %d) dark %v, the code has %v", x, y, dark, modules[y][x])
			}
		}
	}
}
