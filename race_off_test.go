//go:build !race

package coworks

// raceEnabled: the race detector adds allocations, so allocation counts are not checked under it.
const raceEnabled = false
