package boxoffice

import (
	"math"
	"testing"
)

func TestMoneyString(t *testing.T) {
	tests := []struct {
		m    Money
		want string
	}{
		{Money{Amount: 9000, Currency: "EUR"}, "90.00 EUR"},
		{Money{Amount: 1500, Currency: "JPY"}, "1500 JPY"},
		{Money{Amount: 0, Currency: "EUR"}, "0.00 EUR"},
		{Money{Amount: 5, Currency: "EUR"}, "0.05 EUR"},
		{Money{Amount: 50, Currency: "EUR"}, "0.50 EUR"},
		{Money{Amount: -5, Currency: "EUR"}, "-0.05 EUR"},
		{Money{Amount: 1234, Currency: "BHD"}, "1.234 BHD"},
		{Money{Amount: 7, Currency: "CLF"}, "0.0007 CLF"},
		{Money{Amount: 1_000_000_000_000, Currency: "USD"}, "10000000000.00 USD"},
		{Money{Amount: math.MinInt64, Currency: "EUR"}, "-92233720368547758.08 EUR"},
		{Money{Amount: 1234, Currency: "XXX"}, "1234 XXX"},
	}
	for _, tt := range tests {
		if got := tt.m.String(); got != tt.want {
			t.Errorf("(%+v).String() = %q, want %q", tt.m, got, tt.want)
		}
	}
}

func TestMoneyDecimal(t *testing.T) {
	tests := []struct {
		m    Money
		want string
	}{
		{Money{Amount: 9000, Currency: "EUR"}, "90.00"},
		{Money{Amount: 1500, Currency: "JPY"}, "1500"},
		{Money{Amount: 0, Currency: "EUR"}, "0.00"},
		{Money{Amount: 0, Currency: "JPY"}, "0"},
		{Money{Amount: 5, Currency: "EUR"}, "0.05"},
		{Money{Amount: -5, Currency: "EUR"}, "-0.05"},
		{Money{Amount: -500, Currency: "EUR"}, "-5.00"},
		{Money{Amount: -1500, Currency: "JPY"}, "-1500"},
		{Money{Amount: 1234, Currency: "BHD"}, "1.234"},
		{Money{Amount: 7, Currency: "CLF"}, "0.0007"},
		{Money{Amount: 123_456_789, Currency: "USD"}, "1234567.89"},
		{Money{Amount: math.MaxInt64, Currency: "EUR"}, "92233720368547758.07"},
		{Money{Amount: math.MinInt64, Currency: "EUR"}, "-92233720368547758.08"},
		{Money{Amount: 1234, Currency: "XXX"}, "1234"},
		{Money{Amount: 1234, Currency: ""}, "1234"},
	}
	for _, tt := range tests {
		if got := tt.m.Decimal(); got != tt.want {
			t.Errorf("(%+v).Decimal() = %q, want %q", tt.m, got, tt.want)
		}
	}
}
