package adminapi

// StatsView is the answer of GET /api/v1/stats: request or countme
// statistics summed over the dimensions not in By.
type StatsView struct {
	Kind string     `json:"kind"` // requests or countme
	By   []string   `json:"by"`
	Rows []StatsRow `json:"rows"`
}

// StatsRow is one row of a StatsView: the dimensions kept, the others
// empty (left out), and the sum.
type StatsRow struct {
	Day      string `json:"day,omitempty"`  // YYYY-MM-DD (UTC)
	Week     string `json:"week,omitempty"` // the Monday starting the countme week
	Repo     string `json:"repo,omitempty"`
	Arch     string `json:"arch,omitempty"`
	Country  string `json:"country,omitempty"`
	Location string `json:"location,omitempty"`
	Step     string `json:"step,omitempty"`
	Bucket   int    `json:"bucket,omitempty"`
	Count    int64  `json:"count"`
}
