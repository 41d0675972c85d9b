package locale

import (
	"math"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the same zones on every machine

	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/number"

	"github.com/admit-org/admit/internal/boxoffice"
)

func TestNegotiate(t *testing.T) {
	tests := []struct {
		header string
		want   language.Tag
	}{
		{"", language.English},
		{"en-US,en;q=0.9", language.English},
		{"de", language.German},
		{"de-CH, en;q=0.8", language.German},
		{"de-AT", language.German},
		{"fr-CA,fr;q=0.9,en;q=0.5", language.French},
		{"nl-BE", language.Dutch},
		{"es-419", language.Spanish},
		{"it-IT", language.Italian},
		{"en;q=0.2, it;q=0.9", language.Italian}, // by weight, not by order
		{"zh-CN, es;q=0.3", language.Spanish},    // the first one admit formats
		{"pt-BR", language.English},              // nothing fits
		{"*", language.English},
		{"x-garbage;;;", language.English}, // does not parse
		{"de;q=0", language.English},       // "not German"
	}
	for _, tt := range tests {
		if got := Negotiate(tt.header); got != tt.want {
			t.Errorf("Negotiate(%q) = %v, want %v", tt.header, got, tt.want)
		}
	}
}

func TestNegotiateGivesPlainLanguages(t *testing.T) {
	for _, h := range []string{"de-CH", "fr-CA", "en-US", "nl-BE"} {
		got := Negotiate(h)
		if s := got.String(); len(s) != 2 {
			t.Errorf("Negotiate(%q) = %q, want a plain language for a lang attribute", h, s)
		}
	}
}

func TestMoney(t *testing.T) {
	en, de, fr, nl, es, it := language.English, language.German, language.French, language.Dutch, language.Spanish, language.Italian
	eur := func(n int64) boxoffice.Money { return boxoffice.Money{Amount: n, Currency: "EUR"} }
	tests := []struct {
		m    boxoffice.Money
		tag  language.Tag
		want string
	}{
		{eur(3500), en, "€35.00"},
		{eur(3500), de, "35,00\u00a0€"},
		{eur(3500), fr, "35,00\u00a0€"},
		{eur(3500), nl, "€\u00a035,00"},
		{eur(3500), es, "35,00\u00a0€"},
		{eur(3500), it, "35,00\u00a0€"},
		{eur(3500), language.MustParse("de-AT"), "35,00\u00a0€"},
		{eur(3500), language.Japanese, "€35.00"}, // a language admit does not format in: English
		{eur(0), en, "€0.00"},
		{eur(5), en, "€0.05"},
		{eur(50), de, "0,50\u00a0€"},
		{eur(-5), en, "-€0.05"},
		{eur(-3500), de, "-35,00\u00a0€"},
		{eur(-3500), nl, "€\u00a0-35,00"},
		{eur(123456789), en, "€1,234,567.89"},
		{eur(123456789), de, "1.234.567,89\u00a0€"},
		{eur(123456789), fr, "1\u00a0234\u00a0567,89\u00a0€"},
		{eur(100000), en, "€1,000.00"},
		{eur(99999), en, "€999.99"},
		{eur(math.MaxInt64), en, "€92,233,720,368,547,758.07"},
		{eur(math.MinInt64), en, "-€92,233,720,368,547,758.08"},
		{eur(math.MinInt64), de, "-92.233.720.368.547.758,08\u00a0€"},
		{boxoffice.Money{Amount: 1500, Currency: "JPY"}, en, "¥1,500"},
		{boxoffice.Money{Amount: 1500, Currency: "JPY"}, de, "1.500\u00a0¥"},
		{boxoffice.Money{Amount: math.MinInt64, Currency: "JPY"}, en, "-¥9,223,372,036,854,775,808"},
		{boxoffice.Money{Amount: 1234, Currency: "USD"}, en, "$12.34"},
		{boxoffice.Money{Amount: 1234, Currency: "USD"}, fr, "12,34\u00a0$US"},
		{boxoffice.Money{Amount: 1234, Currency: "GBP"}, en, "£12.34"},
		{boxoffice.Money{Amount: 1234, Currency: "CAD"}, en, "CA$12.34"},
		{boxoffice.Money{Amount: 3500, Currency: "CHF"}, en, "CHF\u00a035.00"}, // letters keep apart from digits
		{boxoffice.Money{Amount: -3500, Currency: "CHF"}, en, "-CHF\u00a035.00"},
		{boxoffice.Money{Amount: 3500, Currency: "CHF"}, de, "35,00\u00a0CHF"},
		{boxoffice.Money{Amount: 3500, Currency: "SEK"}, de, "35,00\u00a0SEK"},
		{boxoffice.Money{Amount: 1234, Currency: "BHD"}, en, "BHD\u00a01.234"},
		{boxoffice.Money{Amount: 1234, Currency: "BHD"}, de, "1,234\u00a0BHD"},
		{boxoffice.Money{Amount: 7, Currency: "CLF"}, en, "CLF\u00a00.0007"},
		{boxoffice.Money{Amount: 1250, Currency: "XCG"}, en, "XCG\u00a012.50"}, // too new for x/text: its code
		{boxoffice.Money{Amount: 1234, Currency: "XYZ"}, en, "XYZ\u00a01,234"}, // unknown: minor units as they are
	}
	for _, tt := range tests {
		if got := Money(tt.m, tt.tag); got != tt.want {
			t.Errorf("Money(%+v, %v) = %q, want %q", tt.m, tt.tag, got, tt.want)
		}
	}
}

// TestMoneyDigits checks every currency boxoffice knows, in English:
// 1234567 minor units read with the currency's own digits.
func TestMoneyDigits(t *testing.T) {
	want := map[int]string{0: "1,234,567", 2: "12,345.67", 3: "1,234.567", 4: "123.4567"}
	known := 0
	for a := 'A'; a <= 'Z'; a++ {
		for b := 'A'; b <= 'Z'; b++ {
			for c := 'A'; c <= 'Z'; c++ {
				code := string([]rune{a, b, c})
				digits, ok := boxoffice.CurrencyDigits(code)
				if !ok {
					continue
				}
				known++
				w, ok := want[digits]
				if !ok {
					t.Errorf("%s has %d digits: this test has no expectation for that", code, digits)
					continue
				}
				got := Money(boxoffice.Money{Amount: 1234567, Currency: code}, language.English)
				if !strings.HasSuffix(got, w) || strings.TrimSuffix(strings.TrimSuffix(got, w), nbsp) == "" {
					t.Errorf("Money(1234567 %s) = %q, want a symbol and %q", code, got, w)
				}
			}
		}
	}
	if known < 150 {
		t.Errorf("boxoffice knows %d currencies, want the ISO 4217 list", known)
	}
}

// TestGroupingAsCLDR checks the separators of every style against
// golang.org/x/text's own number formatting, for whole numbers.
func TestGroupingAsCLDR(t *testing.T) {
	for _, s := range styles {
		p := message.NewPrinter(s.tag)
		for _, n := range []int64{0, 7, 999, 1000, 1500, 15000, 999999, 1234567, 1 << 40} {
			if got, want := s.digits(n, 0), p.Sprint(number.Decimal(n)); got != want {
				t.Errorf("%v: digits(%d) = %q, x/text writes %q", s.tag, n, got, want)
			}
		}
		if got, want := s.digits(123456, 2), p.Sprint(number.Decimal(1234.56)); got != want {
			t.Errorf("%v: digits(123456, 2) = %q, x/text writes %q", s.tag, got, want)
		}
	}
}

func TestTime(t *testing.T) {
	en, de := language.English, language.German
	winter := time.Date(2027, 1, 2, 19, 0, 0, 0, time.UTC) // 20:00 in Berlin
	summer := time.Date(2027, 7, 3, 18, 0, 0, 0, time.UTC) // 20:00 in Berlin
	tests := []struct {
		t    time.Time
		tz   string
		tag  language.Tag
		want string
	}{
		{winter, "Europe/Berlin", en, "Saturday 2 January 2027, 20:00 CET"},
		{summer, "Europe/Berlin", en, "Saturday 3 July 2027, 20:00 CEST"},
		{winter, "Europe/Berlin", de, "Samstag, 2. Januar 2027, 20:00 CET"},
		{winter, "Europe/Paris", language.French, "samedi 2 janvier 2027, 20:00 CET"},
		{winter, "Europe/Amsterdam", language.Dutch, "zaterdag 2 januari 2027, 20:00 CET"},
		{winter, "Europe/Madrid", language.Spanish, "sábado, 2 de enero de 2027, 20:00 CET"},
		{winter, "Europe/Rome", language.Italian, "sabato 2 gennaio 2027, 20:00 CET"},
		{winter, "Europe/Berlin", language.MustParse("de-CH"), "Samstag, 2. Januar 2027, 20:00 CET"},
		{winter, "Europe/Berlin", language.Japanese, "Saturday 2 January 2027, 20:00 CET"},
		{winter, "Europe/London", en, "Saturday 2 January 2027, 19:00 GMT"},
		{winter, "America/New_York", en, "Saturday 2 January 2027, 14:00 EST"},
		{winter, "Asia/Kolkata", en, "Sunday 3 January 2027, 00:30 IST"},                  // the zone's own day
		{winter, "Europe/Istanbul", en, "Saturday 2 January 2027, 22:00 Europe/Istanbul"}, // "+03" says less
		{winter, "Asia/Kathmandu", en, "Sunday 3 January 2027, 00:45 Asia/Kathmandu"},     // "+0545"
		{winter, "UTC", en, "Saturday 2 January 2027, 19:00 UTC"},
		{winter, "", en, "Saturday 2 January 2027, 19:00 UTC"},
		{winter, "Not/AZone", en, "Saturday 2 January 2027, 19:00 UTC"},
		{winter, "Local", en, "Saturday 2 January 2027, 19:00 UTC"},
		{time.Date(2026, 12, 31, 23, 30, 0, 0, time.UTC), "Europe/Berlin", en, "Friday 1 January 2027, 00:30 CET"},
		{time.Date(2027, 3, 28, 1, 30, 0, 0, time.UTC), "Europe/Berlin", en, "Sunday 28 March 2027, 03:30 CEST"}, // after the change
	}
	for _, tt := range tests {
		if got := Time(tt.t, tt.tz, tt.tag); got != tt.want {
			t.Errorf("Time(%v, %q, %v) = %q, want %q", tt.t, tt.tz, tt.tag, got, tt.want)
		}
	}
}

// TestTimeNames checks every style's weekday and month on a day of each.
func TestTimeNames(t *testing.T) {
	for _, s := range styles {
		for m := time.January; m <= time.December; m++ {
			at := time.Date(2027, m, 1, 12, 0, 0, 0, time.UTC)
			got := Time(at, "UTC", s.tag)
			if !strings.Contains(got, s.months[m-1]) || !strings.Contains(got, s.weekdays[at.Weekday()]) {
				t.Errorf("Time(%v, %v) = %q, want %s and %s", at, s.tag, got, s.weekdays[at.Weekday()], s.months[m-1])
			}
		}
		for i, n := range append(s.weekdays[:], s.months[:]...) {
			if n == "" || strings.TrimSpace(n) != n {
				t.Errorf("%v: name %d is %q", s.tag, i, n)
			}
		}
	}
}

func TestClock(t *testing.T) {
	at := time.Date(2027, 1, 2, 13, 5, 0, 0, time.UTC)
	tests := []struct {
		tz   string
		tag  language.Tag
		want string
	}{
		{"Europe/Berlin", language.English, "14:05 CET"},
		{"Europe/Berlin", language.German, "14:05 CET"},
		{"America/Los_Angeles", language.English, "05:05 PST"},
		{"Europe/Istanbul", language.English, "16:05 Europe/Istanbul"},
		{"Not/AZone", language.English, "13:05 UTC"},
	}
	for _, tt := range tests {
		if got := Clock(at, tt.tz, tt.tag); got != tt.want {
			t.Errorf("Clock(%v, %q, %v) = %q, want %q", at, tt.tz, tt.tag, got, tt.want)
		}
	}
}

// BenchmarkMoney is the cost of one price on a page.
func BenchmarkMoney(b *testing.B) {
	m := boxoffice.Money{Amount: 123456, Currency: "EUR"}
	b.ReportAllocs()
	for b.Loop() {
		Money(m, language.German)
	}
}

// BenchmarkTime is the cost of one date on a page.
func BenchmarkTime(b *testing.B) {
	at := time.Date(2027, 1, 2, 19, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		Time(at, "Europe/Berlin", language.German)
	}
}
