package regression

import (
	"fmt"
	"math"
)

// MinOutlierSamples is the smallest sample on which IQR fences are computed.
const MinOutlierSamples = 8

// Outliers is the result of a fence rule: the values outside [Lower, Upper]
// are flagged by index. Nothing is removed; callers decide.
type Outliers struct {
	Lower float64 `json:"lower"`
	Upper float64 `json:"upper"`
	// Low and High are indices of values below Lower / above Upper.
	Low  []int `json:"low,omitempty"`
	High []int `json:"high,omitempty"`
	// Reason is set when the rule was not applied (too few values).
	Reason string `json:"reason,omitempty"`
}

// Any reports whether any value was flagged.
func (o Outliers) Any() bool { return len(o.Low)+len(o.High) > 0 }

// IQROutliers flags values outside Tukey's fences Q1 - k·IQR and Q3 + k·IQR
// with type-7 quartiles (k = 1.5 is the usual choice). With fewer than
// MinOutlierSamples values it flags nothing and says so in Reason.
func IQROutliers(xs []float64, k float64) Outliers {
	if len(xs) < MinOutlierSamples {
		return Outliers{Lower: math.Inf(-1), Upper: math.Inf(1),
			Reason: fmt.Sprintf("need >= %d values for IQR fences, have %d", MinOutlierSamples, len(xs))}
	}
	s := sortedCopy(xs)
	q1, q3 := quantileSorted(s, 0.25), quantileSorted(s, 0.75)
	iqr := q3 - q1
	return fenceOutliers(xs, q1-k*iqr, q3+k*iqr)
}

// MADOutliers flags values farther than k robust standard deviations
// (1.4826·MAD) from the median; k = 3.5 is the usual choice.
func MADOutliers(xs []float64, k float64) Outliers {
	if len(xs) < 3 {
		return Outliers{Lower: math.Inf(-1), Upper: math.Inf(1),
			Reason: fmt.Sprintf("need >= 3 values for MAD fences, have %d", len(xs))}
	}
	m, s := Median(xs), MAD(xs)
	return fenceOutliers(xs, m-k*s, m+k*s)
}

func fenceOutliers(xs []float64, lo, hi float64) Outliers {
	o := Outliers{Lower: lo, Upper: hi}
	for i, x := range xs {
		switch {
		case x < lo:
			o.Low = append(o.Low, i)
		case x > hi:
			o.High = append(o.High, i)
		}
	}
	return o
}
