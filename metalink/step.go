package metalink

// Step names the selection step that listed a mirror (DESIGN §4).
type Step uint8

// The selection steps, in their order.
const (
	StepNone      Step = iota // nothing was listed
	StepLocation              // the location the guest sent
	StepCloud                 // the cloud region of the client's address
	StepNetblock              // a mirror's netblock contains the client
	StepASN                   // a mirror's ASN is the client's
	StepCountry               // the client's (or the requested) country
	StepContinent             // the rest of that continent
	StepGlobal                // the global list
)

var stepNames = [...]string{"", "location", "cloud", "netblock", "asn", "country", "continent", "global"}

// String is the step's name as the access log writes it: "location",
// "cloud", "netblock", "asn", "country", "continent", "global", or "" for
// StepNone.
func (s Step) String() string {
	if int(s) < len(stepNames) {
		return stepNames[s]
	}
	return ""
}
