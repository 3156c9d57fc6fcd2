package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/coworks-go/coworks/internal/functiontest"
	"github.com/coworks-go/coworks/internal/secretstore"
)

// openPTY opens a pseudo-terminal: the terminal side a program reads, and the side that types into it and
// sees what it displays.
func openPTY(t *testing.T) (terminal, keyboard *os.File) {
	t.Helper()
	keyboard, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal on this machine: %v", err)
	}
	t.Cleanup(func() { keyboard.Close() })
	if err := unix.IoctlSetPointerInt(int(keyboard.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Skipf("unlockpt: %v", err)
	}
	n, err := unix.IoctlGetInt(int(keyboard.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Skipf("ptsname: %v", err)
	}
	terminal, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("open the terminal side: %v", err)
	}
	t.Cleanup(func() { terminal.Close() })
	return terminal, keyboard
}

// TestSecretSetPromptsWithEchoOff runs `cws secret set` with a real terminal as standard input: it prompts,
// turns echo off before the value is typed (so the terminal never displays it), stores what was typed, and
// restores the terminal.
func TestSecretSetPromptsWithEchoOff(t *testing.T) {
	terminal, keyboard := openPTY(t)
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, ".chalice"), 0o755)
	os.WriteFile(filepath.Join(dir, ".chalice", "config.json"), []byte(`{"version": "2.0", "app_name": "svc", "stages": {"dev": {}}}`), 0o644)

	prompt := &functiontest.Buffer{}
	done := runInTerminal(terminal, prompt, dir, "secret", "set", "DB_PASSWORD", "--stage", "dev")
	typeAfter(t, terminal, keyboard, prompt, "Value of DB_PASSWORD for stage dev (input hidden): ", true, "typed-in-secret")
	if code := <-done; code != 0 {
		t.Fatalf("exit %d:\n%s", code, prompt)
	}
	list, err := secretstore.NewLocal(dir, "dev", nil).List(context.Background())
	if err != nil || len(list) != 1 || list[0].Value != "typed-in-secret" {
		t.Fatalf("stored %+v, %v", list, err)
	}
	if tio, err := unix.IoctlGetTermios(int(terminal.Fd()), unix.TCGETS); err != nil || tio.Lflag&unix.ECHO == 0 {
		t.Errorf("echo was not turned back on (%v)", err)
	}
	// What the terminal displayed (a terminal echoes as it receives input, so it is all there by now): no
	// typed character.
	fd := int(keyboard.Fd())
	if err := unix.SetNonblock(fd, true); err != nil {
		t.Fatal(err)
	}
	var shown []byte
	for buf := make([]byte, 4096); ; {
		n, err := unix.Read(fd, buf)
		if n <= 0 || err != nil {
			break
		}
		shown = append(shown, buf[:n]...)
	}
	if strings.Contains(string(shown), "typed") {
		t.Errorf("the terminal displayed the value: %q", shown)
	}
	if strings.Contains(prompt.String(), "typed") {
		t.Errorf("cws printed the value:\n%s", prompt)
	}
}

// runInTerminal runs cws with args in project dir, terminal as its standard input and out receiving its
// output; the channel receives its exit code.
func runInTerminal(terminal *os.File, out *functiontest.Buffer, dir string, args ...string) <-chan int {
	done := make(chan int, 1)
	go func() {
		env := &Env{Streams: Streams{In: terminal, Out: out, Err: out}, Getenv: func(string) string { return "" },
			Now: time.Now, Getwd: func() (string, error) { return dir, nil }}
		done <- Run(context.Background(), env, args)
	}()
	return done
}

// typeAfter types line on keyboard once out shows prompt (and, with hidden, once the terminal's echo is off),
// as a person would.
func typeAfter(t *testing.T, terminal, keyboard *os.File, out *functiontest.Buffer, prompt string, hidden bool, line string) {
	t.Helper()
	for end := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		tio, err := unix.IoctlGetTermios(int(terminal.Fd()), unix.TCGETS)
		if err == nil && (!hidden || tio.Lflag&unix.ECHO == 0) && strings.Contains(out.String(), prompt) {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("no prompt %q (echo off: %v); output so far:\n%s", prompt, hidden, out)
		}
	}
	if _, err := keyboard.Write([]byte(line + "\r")); err != nil {
		t.Fatal(err)
	}
}

// TestProtectedStageAsksForItsNameInATerminal runs `cws secret set` on a protected stage with a real terminal
// as standard input and no --confirm: it asks for the stage's name before the value; the right name lets the
// secret in, another name refuses it and stores nothing.
func TestProtectedStageAsksForItsNameInATerminal(t *testing.T) {
	const config = `{"version": "2.0", "app_name": "svc", "stages": {"prod": {"protected": true}}}`
	const ask = `Stage prod is protected ("protected": true in .chalice/config.json). Type its name to set secret DB_PASSWORD of stage prod: `
	for _, tc := range []struct {
		name, typed string
		code        int
	}{{"the stage's name", "prod", 0}, {"another name", "dev", 1}} {
		t.Run(tc.name, func(t *testing.T) {
			terminal, keyboard := openPTY(t)
			dir := t.TempDir()
			os.MkdirAll(filepath.Join(dir, ".chalice"), 0o755)
			os.WriteFile(filepath.Join(dir, ".chalice", "config.json"), []byte(config), 0o644)

			out := &functiontest.Buffer{}
			done := runInTerminal(terminal, out, dir, "secret", "set", "DB_PASSWORD", "--stage", "prod")
			typeAfter(t, terminal, keyboard, out, ask, false, tc.typed)
			if tc.code == 0 {
				typeAfter(t, terminal, keyboard, out, "Value of DB_PASSWORD for stage prod (input hidden): ", true, "typed-in-secret")
			}
			if code := <-done; code != tc.code {
				t.Fatalf("exit %d, want %d:\n%s", code, tc.code, out)
			}
			list, err := secretstore.NewLocal(dir, "prod", nil).List(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if tc.code == 0 && (len(list) != 1 || list[0].Value != "typed-in-secret") {
				t.Errorf("stored %d secrets, want DB_PASSWORD:\n%s", len(list), out)
			}
			if tc.code != 0 {
				if len(list) != 0 {
					t.Errorf("a refused set stored %d secrets", len(list))
				}
				for _, want := range []string{`Error: "dev" is not prod: nothing was changed`, "Try: cws secret set DB_PASSWORD --stage prod --confirm prod"} {
					if !strings.Contains(out.String(), want) {
						t.Errorf("output lacks %q:\n%s", want, out)
					}
				}
			}
		})
	}
}
