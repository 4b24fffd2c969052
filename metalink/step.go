package metalink

// Step is the selection step (DESIGN §4) that listed a mirror.
type Step uint8

// The steps, in selection order; StepNone means no mirror was listed.
const (
	StepNone Step = iota
	StepLocation
	StepCloud
	StepNetblock
	StepASN
	StepCountry
	StepContinent
	StepGlobal
	// NumSteps is the number of steps, StepNone included.
	NumSteps
)

var stepNames = [NumSteps]string{"none", "location", "cloud", "netblock", "asn", "country", "continent", "global"}

// String returns the step's name as logs and metrics spell it.
func (s Step) String() string {
	if s < NumSteps {
		return stepNames[s]
	}
	return "none"
}
