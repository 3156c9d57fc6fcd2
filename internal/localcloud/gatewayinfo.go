package localcloud

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/coworks-go/coworks/internal/safefile"
)

// GatewayInfo says where the running gateway of a project listens, for the commands that talk to it
// (cws console, cws invoke). The gateway writes it in .chalice/local/gateway.json when it starts and removes
// it when it stops; a gateway that died leaves it behind, so readers check that it answers.
type GatewayInfo struct {
	// PID is the gateway's process id.
	PID int `json:"pid"`
	// URL is the gateway's base URL (http://127.0.0.1:8000).
	URL string `json:"url"`
	// ConsoleURL is the console's URL, "" when the console is off.
	ConsoleURL string    `json:"console_url"`
	StartedAt  time.Time `json:"started_at"`
}

// GatewayInfoPath returns .chalice/local/gateway.json.
func GatewayInfoPath(projectDir string) string { return filepath.Join(Dir(projectDir), "gateway.json") }

// SaveGatewayInfo writes the running gateway's info (0600, atomically).
func SaveGatewayInfo(projectDir string, info *GatewayInfo) error {
	data, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(Dir(projectDir), 0o700); err != nil {
		return err
	}
	return safefile.Write(GatewayInfoPath(projectDir), append(data, '\n'), 0o600)
}

// LoadGatewayInfo reads the gateway info; nil and no error when no gateway wrote one.
func LoadGatewayInfo(projectDir string) (*GatewayInfo, error) {
	data, err := os.ReadFile(GatewayInfoPath(projectDir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var info GatewayInfo
	if err := json.Unmarshal(data, &info); err != nil {
		return nil, fmt.Errorf("%s: %w", GatewayInfoPath(projectDir), err)
	}
	return &info, nil
}

// RemoveGatewayInfo removes the gateway info if it is still the one process pid wrote (another gateway may
// have started since).
func RemoveGatewayInfo(projectDir string, pid int) {
	if info, err := LoadGatewayInfo(projectDir); err == nil && info != nil && info.PID == pid {
		os.Remove(GatewayInfoPath(projectDir))
	}
}
