package config

import (
	"math"
	"strconv"
	"strings"
	"unicode"
)

// pythonFloat parses s as Python's float(s) does, which is how Chalice reads "version": white space around
// the number is ignored (Unicode's, as unicode.IsSpace has it), as are underscores between digits; decimal digits of any script count; "inf", "infinity" and "nan" in any case,
// signed or not, are numbers. Hexadecimal floats ("0x1p0", which Go's ParseFloat takes) are not.
func pythonFloat(s string) (float64, bool) {
	s = strings.TrimFunc(s, unicode.IsSpace)
	var b strings.Builder
	for _, r := range s {
		if d, ok := decimalDigit(r); ok {
			b.WriteByte('0' + d)
		} else {
			b.WriteRune(r)
		}
	}
	t := b.String()
	body := strings.TrimLeft(t, "+-")
	if len(t)-len(body) > 1 {
		return 0, false
	}
	switch strings.ToLower(body) {
	case "inf", "infinity":
		if strings.HasPrefix(t, "-") {
			return math.Inf(-1), true
		}
		return math.Inf(1), true
	case "nan":
		return math.NaN(), true
	}
	if !decimalLiteral(body) {
		return 0, false
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(t, "_", ""), 64)
	if err != nil && !isRange(err) {
		return 0, false
	}
	return f, true // out of range: ±Inf, as Python gives
}

// decimalLiteral reports whether s is digits ["." [digits]] | "." digits, then an optional exponent
// [eE][+-]digits, where digits may hold single underscores between digits (Python's float syntax).
func decimalLiteral(s string) bool {
	digits := func(s string) (rest string, n int) {
		i := 0
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '_' && i > 0 && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9') {
			i++
		}
		return s[i:], i
	}
	s, whole := digits(s)
	frac := 0
	if strings.HasPrefix(s, ".") {
		s, frac = digits(s[1:])
	}
	if whole == 0 && frac == 0 {
		return false
	}
	if s != "" && (s[0] == 'e' || s[0] == 'E') {
		s = s[1:]
		if s != "" && (s[0] == '+' || s[0] == '-') {
			s = s[1:]
		}
		var n int
		if s, n = digits(s); n == 0 {
			return false
		}
	}
	return s == ""
}

func isRange(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// decimalDigit returns the value of r when it is a decimal digit of any script (Unicode category Nd),
// which Python's float accepts. Unicode encodes each script's digits 0 to 9 as one run, so every range of
// the Nd table starts at a zero.
func decimalDigit(r rune) (byte, bool) {
	if r >= '0' && r <= '9' {
		return byte(r - '0'), true
	}
	if r < 0x80 {
		return 0, false
	}
	for _, rg := range unicode.Nd.R16 {
		if r >= rune(rg.Lo) && r <= rune(rg.Hi) {
			return byte((r - rune(rg.Lo)) % 10), true
		}
	}
	for _, rg := range unicode.Nd.R32 {
		if r >= rune(rg.Lo) && r <= rune(rg.Hi) {
			return byte((r - rune(rg.Lo)) % 10), true
		}
	}
	return 0, false
}
