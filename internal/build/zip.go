package build

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"hash/crc32"
	"io"
	"os"
)

// zipName is the deployment package's file name inside a cache entry.
const zipName = "bootstrap.zip"

// The zip is a pure function of the binary's bytes (and of this package's compress/flate):
//   - one entry, "bootstrap", stored with its CRC and sizes in the local header (no data descriptor),
//   - modified 1980-01-01 00:00:00, the MS-DOS epoch, written as the raw DOS date/time fields only: setting
//     FileHeader.Modified would make archive/zip add an extended-timestamp extra field,
//   - no extra fields, no comment,
//   - created by Unix (version 3.0) with external attributes S_IFREG|0755 in the high 16 bits, so Lambda
//     extracts an executable bootstrap,
//   - deflate at level 6 with Go's compress/flate (level 9 takes 2.5 times longer for 0.3% fewer bytes on a
//     6 MB binary): the bytes are stable for a given cws build; a cws built with a Go whose flate output
//     differs may give other bytes for the same binary.
const (
	zipDOSDate  = 1<<5 | 1 // 1980-01-01: (year-1980)<<9 | month<<5 | day
	zipDOSTime  = 0        // 00:00:00
	zipFileMode = 0o755
	zipLevel    = 6
)

// writeZip writes the deployment package holding binary as "bootstrap" to path (created with mode 0644)
// and returns base64(sha256(zip)) and its size.
func writeZip(path, binary string) (sum string, size int64, err error) {
	data, err := os.ReadFile(binary)
	if err != nil {
		return "", 0, fmt.Errorf("build: %w", err)
	}
	var buf bytes.Buffer
	if err := zipBootstrap(&buf, data); err != nil {
		return "", 0, err
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return "", 0, fmt.Errorf("build: writing %s: %w", path, err)
	}
	return contentSHA256(buf.Bytes()), int64(buf.Len()), nil
}

// contentSHA256 is base64(sha256(b)): Terraform's source_code_hash of a zip, and the host binary's identity.
func contentSHA256(b []byte) string {
	s := sha256.Sum256(b)
	return base64.StdEncoding.EncodeToString(s[:])
}

// zipBootstrap writes the deterministic zip of data as "bootstrap" to w.
func zipBootstrap(w io.Writer, data []byte) error {
	var compressed bytes.Buffer
	fw, err := flate.NewWriter(&compressed, zipLevel)
	if err != nil {
		return fmt.Errorf("build: %w", err)
	}
	if _, err := fw.Write(data); err != nil {
		return fmt.Errorf("build: compressing bootstrap: %w", err)
	}
	if err := fw.Close(); err != nil {
		return fmt.Errorf("build: compressing bootstrap: %w", err)
	}
	fh := &zip.FileHeader{
		Name:               "bootstrap",
		Method:             zip.Deflate,
		ModifiedDate:       zipDOSDate,
		ModifiedTime:       zipDOSTime,
		CRC32:              crc32.ChecksumIEEE(data),
		CompressedSize64:   uint64(compressed.Len()),
		UncompressedSize64: uint64(len(data)),
		CreatorVersion:     20, // 2.0; SetMode adds "made by Unix" in the high byte
		ReaderVersion:      20, // 2.0: deflate
	}
	fh.SetMode(zipFileMode)
	zw := zip.NewWriter(w)
	ew, err := zw.CreateRaw(fh)
	if err != nil {
		return fmt.Errorf("build: zip: %w", err)
	}
	if _, err := ew.Write(compressed.Bytes()); err != nil {
		return fmt.Errorf("build: zip: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("build: zip: %w", err)
	}
	return nil
}
