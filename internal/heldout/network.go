package heldout

import (
	"fmt"
)

// Where requests come from. The prefixes are shaped like the address
// space of real access networks, carriers and clouds; none of it is
// contacted, it is only written into the log.

// country is a place people live in, with its time zone, the prefixes
// of its home broadband providers and its mobile carriers' NAT pools.
type country struct {
	code   string
	tz     int
	home   []string // /16s of residential broadband (first two octets)
	mobile []string // /16s behind which a carrier NATs its subscribers
	lang   string
}

var countries = []country{
	{"us", -5, []string{"73.162", "98.210", "24.5", "71.58", "108.28", "174.63"}, []string{"172.58", "107.77"}, "en"},
	{"us-w", -8, []string{"76.102", "67.169", "99.34", "50.47"}, []string{"172.56", "166.205"}, "en"},
	{"gb", 0, []string{"86.150", "82.31", "90.214", "109.150"}, []string{"31.94", "92.40"}, "en"},
	{"de", 1, []string{"91.64", "84.154", "79.241", "93.206"}, []string{"80.187", "109.40"}, "de"},
	{"fr", 1, []string{"90.12", "86.245", "82.64", "176.180"}, []string{"37.165", "92.184"}, "fr"},
	{"es", 1, []string{"83.44", "88.12", "79.148"}, []string{"37.133", "31.4"}, "es"},
	{"it", 1, []string{"79.31", "93.40", "151.38"}, []string{"5.90", "151.19"}, "it"},
	{"pl", 1, []string{"83.24", "89.64", "178.42"}, []string{"37.47", "46.76"}, "pl"},
	{"br", -3, []string{"177.94", "189.6", "191.33", "201.17"}, []string{"179.240", "187.26"}, "pt"},
	{"mx", -6, []string{"187.190", "189.203", "201.141"}, []string{"200.68", "187.140"}, "es"},
	{"ar", -3, []string{"181.46", "190.18"}, []string{"186.130"}, "es"},
	{"in", 5, []string{"49.36", "106.51", "117.198", "122.171"}, []string{"157.48", "223.187"}, "hi"},
	{"jp", 9, []string{"126.15", "60.65", "153.216", "219.100"}, []string{"1.75", "49.98"}, "ja"},
	{"kr", 9, []string{"121.134", "175.193", "211.36"}, []string{"223.38", "39.7"}, "ko"},
	{"cn", 8, []string{"117.136", "183.14", "222.95"}, []string{"112.96", "39.144"}, "zh"},
	{"tw", 8, []string{"114.34", "1.160"}, []string{"49.216"}, "zh"},
	{"ru", 3, []string{"95.27", "178.66", "46.138"}, []string{"85.26", "176.59"}, "ru"},
	{"ua", 2, []string{"93.73", "178.150"}, []string{"176.36"}, "uk"},
	{"tr", 3, []string{"78.180", "88.230", "176.88"}, []string{"31.142", "188.119"}, "tr"},
	{"eg", 2, []string{"41.35", "156.204"}, []string{"197.121"}, "ar"},
	{"sa", 3, []string{"93.168", "51.36"}, []string{"37.106"}, "ar"},
	{"id", 7, []string{"36.72", "110.136", "180.252"}, []string{"114.125", "182.1"}, "id"},
	{"vn", 7, []string{"113.185", "171.224", "14.241"}, []string{"27.72", "116.96"}, "vi"},
	{"nl", 1, []string{"84.84", "145.53", "77.248"}, []string{"31.20"}, "nl"},
	{"ng", 1, []string{"105.112", "102.89"}, []string{"197.210"}, "en"},
	{"ca", -5, []string{"70.50", "99.228", "142.114"}, []string{"184.151"}, "en"},
	{"au", 10, []string{"101.178", "120.148", "49.180"}, []string{"1.144", "110.150"}, "en"},
}

func countryByLang(lang string) []country {
	var out []country
	for _, c := range countries {
		if c.lang == lang {
			out = append(out, c)
		}
	}
	return out
}

// homeIP draws an address in one of the country's broadband /16s.
func homeIP(r *rng, c country) string {
	return fmt.Sprintf("%s.%d.%d", pick(r, c.home), r.IntN(256), 1+r.IntN(254))
}

// home6 draws an IPv6 home prefix's address (a /56 per customer).
func home6(r *rng) string {
	return fmt.Sprintf("2a02:%x:%x:%x::%x", 0x8100+r.IntN(0x200), r.IntN(0x10000), r.IntN(0x100)<<8, 1+r.IntN(0xffff))
}

// carrierNAT is a carrier's pool of shared public addresses: thousands
// of subscribers leave through a few dozen of them.
type carrierNAT []string

func newCarrierNAT(r *rng, c country, size int) carrierNAT {
	out := make(carrierNAT, size)
	prefix := pick(r, c.mobile)
	third := r.IntN(250)
	for i := range out {
		out[i] = fmt.Sprintf("%s.%d.%d", prefix, third+r.IntN(4), 1+r.IntN(254))
	}
	return out
}

// cloud ranges: the same ones serve legitimate pipelines and harvesters.
var clouds = map[string][]string{
	"aws":     {"3.85", "18.207", "34.228", "44.201", "52.14", "54.165", "13.57", "35.170"},
	"gcp":     {"34.82", "34.118", "35.185", "35.227", "104.196"},
	"azure":   {"20.42", "20.115", "40.76", "52.186", "13.91"},
	"hetzner": {"65.108", "95.216", "135.181", "116.202", "5.75"},
	"do":      {"143.198", "159.89", "164.90", "167.99", "206.189"},
	"ovh":     {"51.68", "51.195", "141.94", "54.38"},
	"vultr":   {"45.77", "66.42", "149.28", "108.61"},
}

var cloudNames = []string{"aws", "gcp", "azure", "hetzner", "do", "ovh", "vultr"}

// cloudIP draws an address of a cloud provider.
func cloudIP(r *rng, provider string) string {
	return fmt.Sprintf("%s.%d.%d", pick(r, clouds[provider]), r.IntN(256), 1+r.IntN(254))
}

// subnet24 is a /24 owned by one organisation (an office, a lab, a rack).
type subnet24 string

func newSubnet24(r *rng, prefix16 string) subnet24 {
	return subnet24(fmt.Sprintf("%s.%d", prefix16, r.IntN(256)))
}

func (s subnet24) host(n int) string { return fmt.Sprintf("%s.%d", s, n) }

// Enterprise and university egress ranges.
var orgPrefixes = []string{"192.35", "128.112", "129.97", "130.88", "131.215", "137.132", "141.20", "145.94", "155.198", "193.62", "194.95", "195.176", "212.58", "213.160", "217.24", "62.225", "80.231", "85.114"}

// Client strings. Browsers and SDKs are shared by many unrelated users;
// only odd, self-written clients are rare.
var (
	browserUAs = []string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
		"Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0",
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36",
	}
	mobileUAs = []string{
		"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
		"Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.39 Mobile Safari/537.36",
		"Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.6723.102 Mobile Safari/537.36",
		"okhttp/4.12.0",
		"Dart/3.5 (dart:io)",
	}
	desktopClientUAs = []string{
		"ollama/0.5.7 (amd64 linux) Go/go1.23.4",
		"ollama/0.5.4 (arm64 darwin) Go/go1.23.3",
		"Chatbox/1.9.1 (Macintosh; Intel Mac OS X 10_15_7)",
		"open-webui/0.4.8",
		"curl/8.5.0",
		"curl/7.81.0",
	}
	sdkUAs = []string{
		"OpenAI/Python 1.54.4",
		"OpenAI/Python 1.57.0",
		"OpenAI/Python 1.42.0",
		"OpenAI/JS 4.73.1",
		"OpenAI/JS 4.68.4",
		"python-requests/2.32.3",
		"python-httpx/0.27.2",
		"axios/1.7.9",
		"Go-http-client/2.0",
		"ollama-python/0.4.4 (x86_64 linux) Python/3.11.10",
	}
)

// personUA draws the client a person uses: mostly a browser-based
// front end or an app, sometimes a desktop client or an SDK.
func personUA(r *rng) string {
	switch x := r.Float64(); {
	case x < 0.5:
		return pick(r, browserUAs)
	case x < 0.75:
		return pick(r, desktopClientUAs)
	default:
		return pick(r, sdkUAs)
	}
}
