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
	done := make(chan int, 1)
	go func() {
		env := &Env{Streams: Streams{In: terminal, Out: prompt, Err: prompt}, Getenv: func(string) string { return "" },
			Now: time.Now, Getwd: func() (string, error) { return dir, nil }}
		done <- Run(context.Background(), env, []string{"secret", "set", "DB_PASSWORD", "--stage", "dev"})
	}()
	// Type only once echo is off, as a person would after the prompt.
	for end := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		tio, err := unix.IoctlGetTermios(int(terminal.Fd()), unix.TCGETS)
		if err == nil && tio.Lflag&unix.ECHO == 0 && strings.Contains(prompt.String(), "Value of DB_PASSWORD for stage dev (input hidden): ") {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("no prompt with echo off; output so far:\n%s", prompt)
		}
	}
	if _, err := keyboard.Write([]byte("typed-in-secret\r")); err != nil {
		t.Fatal(err)
	}
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
