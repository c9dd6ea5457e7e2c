package localdeploy

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"debug/elf"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Artifact is one function's built code: the directory sam build leaves, its zip and where it went.
type Artifact struct {
	Dir       string // ARTIFACTS_DIR after the build: bootstrap and anything else the target wrote
	Zip       string // the zip of Dir
	SHA256    string // base64 of the zip's SHA-256, as Lambda reports it in CodeSha256
	Bucket    string // where the zip was uploaded
	Key       string
	Arch      string // the bootstrap's architecture as Lambda names it: arm64 or x86_64
	BuildTime time.Duration
}

// samFunction is an AWS::Serverless::Function of the SAM template as sam build sees it.
type samFunction struct {
	LogicalID, BuildMethod, CodeURI string
}

// samFunctions lists the template's functions with their build method and code directory (the
// function's CodeUri, else the Globals'), by logical ID.
func samFunctions(sam map[string]any) ([]samFunction, error) {
	globalURI, _ := Dig(sam, "Globals", "Function", "CodeUri").(string)
	resources, _ := sam["Resources"].(map[string]any)
	var fns []samFunction
	for _, id := range sortedKeys(resources) {
		r, _ := resources[id].(map[string]any)
		if r["Type"] != "AWS::Serverless::Function" {
			continue
		}
		fn := samFunction{LogicalID: id, CodeURI: globalURI}
		fn.BuildMethod, _ = Dig(r, "Metadata", "BuildMethod").(string)
		if uri, ok := Dig(r, "Properties", "CodeUri").(string); ok {
			fn.CodeURI = uri
		}
		switch {
		case fn.BuildMethod != "makefile":
			return nil, fmt.Errorf("%s: Metadata.BuildMethod %q: only makefile is built here", id, fn.BuildMethod)
		case fn.CodeURI == "" || strings.HasPrefix(fn.CodeURI, "s3://"):
			return nil, fmt.Errorf("%s: CodeUri %q: want a directory of this checkout", id, fn.CodeURI)
		}
		fns = append(fns, fn)
	}
	if len(fns) == 0 {
		return nil, fmt.Errorf("the template has no AWS::Serverless::Function")
	}
	return fns, nil
}

// samExcluded are what sam build's makefile workflow leaves out of its copy of the source.
var samExcluded = []string{".aws-sam", ".git"}

// build runs the function's makefile build as sam build does: the code directory is copied to a
// scratch directory (without .aws-sam and .git), and make runs the source's Makefile target
// build-<LogicalId> there, with ARTIFACTS_DIR in its environment.
func build(ctx context.Context, root, workDir string, fn samFunction, log io.Writer) (*Artifact, error) {
	start := time.Now()
	source, err := filepath.Abs(filepath.Join(root, fn.CodeURI))
	if err != nil {
		return nil, err
	}
	scratch := filepath.Join(workDir, "scratch", fn.LogicalID)
	artifacts := filepath.Join(workDir, "build", fn.LogicalID)
	for _, dir := range []string{scratch, artifacts} {
		if err := os.RemoveAll(dir); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
	}
	defer os.RemoveAll(scratch)
	if err := copyTree(source, scratch, workDir); err != nil {
		return nil, fmt.Errorf("%s: copy the source: %w", fn.LogicalID, err)
	}
	cmd := exec.CommandContext(ctx, "make", "--makefile", filepath.Join(source, "Makefile"), "build-"+fn.LogicalID)
	cmd.Dir = scratch
	cmd.Env = append(withoutMakeVars(os.Environ()), "ARTIFACTS_DIR="+artifacts)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.MultiWriter(&out, log), io.MultiWriter(&out, log)
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s: make build-%s: %w\n%s", fn.LogicalID, fn.LogicalID, err, out.String())
	}
	bootstrap := filepath.Join(artifacts, "bootstrap")
	st, err := os.Stat(bootstrap)
	if err != nil || !st.Mode().IsRegular() || st.Mode().Perm()&0o111 == 0 {
		return nil, fmt.Errorf("%s: make build-%s left no executable bootstrap in ARTIFACTS_DIR (%v)", fn.LogicalID, fn.LogicalID, err)
	}
	arch, err := Arch(bootstrap)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fn.LogicalID, err)
	}
	a := &Artifact{Dir: artifacts, Zip: filepath.Join(workDir, fn.LogicalID+".zip"), Arch: arch}
	sum, md5sum, err := zipDir(artifacts, a.Zip)
	if err != nil {
		return nil, fmt.Errorf("%s: zip: %w", fn.LogicalID, err)
	}
	// sam package names the object by the MD5 of the zip.
	a.SHA256, a.Key = sum, md5sum
	a.BuildTime = time.Since(start)
	return a, nil
}

// withoutMakeVars drops what an enclosing make exports to its children: `make deploy-local
// ARTIFACTS_DIR=x` would otherwise override the ARTIFACTS_DIR of every build.
func withoutMakeVars(env []string) []string {
	return slices.DeleteFunc(env, func(kv string) bool {
		name, _, _ := strings.Cut(kv, "=")
		return name == "MAKEFLAGS" || name == "MFLAGS" || name == "MAKELEVEL" || name == "MAKEOVERRIDES"
	})
}

// copyTree copies the regular files and directories under src to dst with their modes, leaving out
// samExcluded at the top and skip (the deploy's own work directory, should it be inside src).
func copyTree(src, dst, skip string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if rel == "." {
			return nil
		}
		if slices.Contains(samExcluded, rel) || path == skip {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.MkdirAll(target, info.Mode().Perm()|0o700)
		case info.Mode().IsRegular():
			return copyFile(path, target, info.Mode().Perm())
		}
		return nil // sockets, links: nothing a build reads
	})
}

func copyFile(src, dst string, perm fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}

// zipTime is every zip entry's modification time.
var zipTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// zipDir zips the files under dir, modes kept (Lambda runs bootstrap only if it is executable), and
// returns the zip's SHA-256 (base64) and MD5 (hex).
func zipDir(dir, zipPath string) (sha string, md5hex string, err error) {
	f, err := os.Create(zipPath)
	if err != nil {
		return "", "", err
	}
	sh, m := sha256.New(), md5.New()
	zw := zip.NewWriter(io.MultiWriter(f, sh, m))
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		hdr, err := zip.FileInfoHeader(info)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		// A fixed time: the same bootstrap makes the same zip, and so the same object key.
		hdr.Name, hdr.Method, hdr.Modified = filepath.ToSlash(rel), zip.Deflate, zipTime
		w, err := zw.CreateHeader(hdr)
		if err != nil {
			return err
		}
		in, err := os.Open(path)
		if err != nil {
			return err
		}
		defer in.Close()
		_, err = io.Copy(w, in)
		return err
	})
	if err == nil {
		err = zw.Close()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", "", err
	}
	return base64.StdEncoding.EncodeToString(sh.Sum(nil)), hex.EncodeToString(m.Sum(nil)), nil
}

// Arch is the architecture of a Linux executable as Lambda names it (arm64, x86_64).
func Arch(path string) (string, error) {
	f, err := elf.Open(path)
	if err != nil {
		return "", fmt.Errorf("%s is not a Linux executable: %w", path, err)
	}
	defer f.Close()
	switch f.Machine {
	case elf.EM_AARCH64:
		return "arm64", nil
	case elf.EM_X86_64:
		return "x86_64", nil
	}
	return "", fmt.Errorf("%s is built for %s, which Lambda does not run", path, f.Machine)
}
