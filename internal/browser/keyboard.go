package browser

import (
	"context"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// Keys presses the keys (runes, or kb's names such as kb.Tab and
// kb.ArrowDown) one after the other, with the modifiers held, as a
// keyboard on Linux or Windows sends them: a raw key-down, the character
// when the key types one, and the key-up.
//
// chromedp.KeyEvent sends a cooked key-down instead, after which Chromium
// delivers the character even when the key-down did something: Enter on
// a link that moves the focus into a text field would then also submit
// that field's form, which no keyboard does.
func Keys(keys string, modifiers ...chromedp.Modifier) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		for _, r := range keys {
			for _, k := range kb.Encode(r) {
				for _, m := range modifiers {
					k.Modifiers |= int64(m)
				}
				switch {
				case k.Type == input.DispatchKeyEventTypeKeyDown:
					k.Type = input.DispatchKeyEventTypeRawKeyDown
				case k.Type == input.DispatchKeyEventTypeChar && k.Modifiers&^int64(chromedp.ModifierShift) != 0:
					continue // a shortcut types nothing
				}
				if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, *k); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
