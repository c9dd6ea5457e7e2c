package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"mfagateway/shared/testenv"
)

// readmeCommand is one command of a README shell block, with the answer the README shows right under
// it (the README's convention: "# " lines with no blank line between).
type readmeCommand struct {
	line int      // the README line it starts on
	text string   // as written, continuation lines included
	want []string // the "# " lines right under it; "..." stands for anything
}

// readmeBlock reads the first ```sh block under the README heading.
func readmeBlock(t *testing.T, heading string) []readmeCommand {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cmds []readmeCommand
	under, in, answering := false, false, false
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case !in && strings.HasPrefix(line, "## "):
			under = line == "## "+heading
		case under && !in && line == "```sh":
			in = true
		case in && line == "```":
			return cmds
		case !in:
		case strings.TrimSpace(line) == "":
			answering = false
		case strings.HasPrefix(line, "#"):
			if answering { // right under a command: its answer; after a blank line, a remark
				c := &cmds[len(cmds)-1]
				c.want = append(c.want, strings.TrimPrefix(strings.TrimPrefix(line, "#"), " "))
			}
		case len(cmds) > 0 && strings.HasSuffix(cmds[len(cmds)-1].text, "\\") && cmds[len(cmds)-1].want == nil:
			cmds[len(cmds)-1].text += "\n" + line
		default:
			cmds = append(cmds, readmeCommand{line: n, text: line})
			answering = true
		}
	}
	t.Fatalf("README.md has no ```sh block under %q", heading)
	return nil
}

// answerLine is a README answer line as a pattern: "..." is any text, a run of spaces any run of
// spaces (columns move with the data), the rest as written.
func answerLine(want string) *regexp.Regexp {
	var b strings.Builder
	for i, part := range strings.Split(want, "...") {
		if i > 0 {
			b.WriteString(".+?")
		}
		for j, word := range strings.Fields(part) {
			if j > 0 || strings.HasPrefix(part, " ") {
				b.WriteString(`\s+`)
			}
			b.WriteString(regexp.QuoteMeta(word))
		}
		if strings.HasSuffix(part, " ") && strings.TrimSpace(part) != "" {
			b.WriteString(`\s+`)
		}
	}
	return regexp.MustCompile("^" + b.String() + "$")
}

// matchAnswer reports whether got is the answer want shows, line by line.
func matchAnswer(want []string, got []string) bool {
	if len(want) != len(got) {
		return false
	}
	for i, w := range want {
		if !answerLine(w).MatchString(strings.TrimRight(got[i], " ")) {
			return false
		}
	}
	return true
}

// TestREADMEAdminCLI runs the README's admin CLI session as it stands, in bash from the repository's
// root, against a local server whose embedded engine is served to other processes as make run serves
// it: the addresses of make run (127.0.0.1:3000 and :8000) are this server's, and the CLI is built
// where the block says, in a temporary directory instead of bin/. Every command must succeed, and
// each answer the README shows must be the command's output.
func TestREADMEAdminCLI(t *testing.T) {
	bash := testenv.RequireTool(t, "bash", "run the README's shell block")
	testenv.RequireTool(t, "curl", "the README's block logs in with curl")
	testenv.RequireTool(t, "go", "the README's block builds the CLI")
	s := startLocal(t, "", nil)
	var printed strings.Builder
	if err := s.app.serveDynamo("127.0.0.1:0", &printed); err != nil {
		t.Fatal(err)
	}
	endpoint := regexp.MustCompile(`DynamoDB endpoint (http://\S+), table ` + defaultTable).FindStringSubmatch(printed.String())
	if endpoint == nil {
		t.Fatalf("the server did not say where its engine is served: %q", printed.String())
	}

	cmds := readmeBlock(t, "Admin CLI")
	const buildLine = "go build -o bin/gatewayctl ./cmd/gatewayctl"
	if len(cmds) == 0 || cmds[0].text != buildLine {
		t.Fatalf("the block does not start with %q", buildLine)
	}
	ctl := filepath.Join(t.TempDir(), "gatewayctl")
	replace := strings.NewReplacer(
		"http://127.0.0.1:8000", endpoint[1],
		"http://127.0.0.1:3000", s.url,
		"bin/gatewayctl", ctl,
	)
	var script strings.Builder
	for i, c := range cmds {
		// The marker after a command starts on a line of its own whether or not the output ended one.
		fmt.Fprintf(&script, "echo '@@ %d'\n%s\nprintf '\\n@@ %d exit %%s\\n' $?\n", i, replace.Replace(c.text), i)
	}
	cmd := exec.Command(bash, "--noprofile", "--norc", "-c", script.String())
	cmd.Dir = filepath.Join("..", "..")
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "TABLE_NAME=") || strings.HasPrefix(kv, "AWS_")
	})
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bash: %v\n%s", err, out)
	}

	outputs := map[int][]string{}
	status := map[int]string{}
	current := -1
	for _, line := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
		var i int
		var exit string
		if n, _ := fmt.Sscanf(line, "@@ %d exit %s", &i, &exit); n == 2 {
			status[i], current = exit, -1
			continue
		}
		if n, _ := fmt.Sscanf(line, "@@ %d", &i); n == 1 && strings.HasPrefix(line, "@@ ") {
			current = i
			continue
		}
		if current >= 0 {
			outputs[current] = append(outputs[current], line)
		}
	}
	for i, c := range cmds {
		for len(outputs[i]) > 0 && outputs[i][len(outputs[i])-1] == "" {
			outputs[i] = outputs[i][:len(outputs[i])-1]
		}
		where := "README.md:" + strconv.Itoa(c.line)
		if status[i] != "0" {
			t.Errorf("%s: %s\nexit %q; output:\n%s", where, c.text, status[i], strings.Join(outputs[i], "\n"))
			continue
		}
		if c.want != nil && !matchAnswer(c.want, outputs[i]) {
			t.Errorf("%s: %s\nanswered:\n%s\nthe README shows:\n%s", where, c.text, strings.Join(outputs[i], "\n"), strings.Join(c.want, "\n"))
		}
	}
}
