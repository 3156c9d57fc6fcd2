package config

import (
	"math"
	"testing"
)

// TestPythonFloat: what Python's float() gives for each string (checked against CPython 3.12).
func TestPythonFloat(t *testing.T) {
	for in, want := range map[string]float64{
		"2.0": 2, " 1.0 ": 1, "\t2\n": 2, "\u00a01.5\u2003": 1.5, "+1.5": 1.5, "-3": -3,
		"1_0": 10, "1_0.5_0": 10.5, "1e0": 1, "1E+1": 10, "1e1_0": 1e10, ".5": 0.5, "5.": 5, "007": 7,
		"inf": math.Inf(1), "-Infinity": math.Inf(-1), "\u0661.\u0665": 1.5, "\U0001d7d9": 1, "1e999": math.Inf(1),
	} {
		got, ok := pythonFloat(in)
		if !ok || got != want {
			t.Errorf("pythonFloat(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	if f, ok := pythonFloat("NaN"); !ok || !math.IsNaN(f) {
		t.Errorf("pythonFloat(NaN) = %v, %v", f, ok)
	}
	for _, in := range []string{"0x1p0", "0x10", "1__0", "_1", "1_", "1._5", "", " ", ".", "e5", "1e", "1e+-5", "+-1", "1,5", "1.0.0", "infinit", "2.0f", "0b1", "\x1c1\x1f", "\u200b1", "\ufeff1"} {
		if f, ok := pythonFloat(in); ok {
			t.Errorf("pythonFloat(%q) = %v, want a ValueError", in, f)
		}
	}
}
