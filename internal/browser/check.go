package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/chromedp"
)

// Focus describes the element that has the keyboard focus, and how its
// focus indicator is drawn.
type Focus struct {
	Element      string  `json:"element"` // tag#id.class, for messages
	ID           string  `json:"id"`
	Text         string  `json:"text"` // its text or value, trimmed
	Outline      string  `json:"outline"`
	OutlineWidth float64 `json:"outlineWidth"`
	BoxShadow    string  `json:"boxShadow"`
	FocusVisible bool    `json:"focusVisible"` // whether it matches :focus-visible (see Shown)
	InViewport   bool    `json:"inViewport"`   // whether some of it is on screen
}

// Shown reports whether the focus can be seen: the element matches
// :focus-visible, is on screen, and draws an outline at least 2 pixels
// wide or a box shadow. When the focus is on the calendar button inside a
// date or time field, the field matches :focus-within only: for that one,
// :focus-within is what its style must draw the indicator for.
func (f Focus) Shown() bool {
	return f.FocusVisible && f.InViewport && (f.OutlineWidth >= 2 || (f.BoxShadow != "" && f.BoxShadow != "none"))
}

func (f Focus) String() string {
	return fmt.Sprintf("%s %q (outline %q, box-shadow %q, :focus-visible %t, on screen %t)",
		f.Element, f.Text, f.Outline, f.BoxShadow, f.FocusVisible, f.InViewport)
}

const focusJS = `(() => {
	const el = document.activeElement;
	if (!el || el === document.body) return {element: "body"};
	const cs = getComputedStyle(el), r = el.getBoundingClientRect();
	const cls = typeof el.className === "string" && el.className ? "." + el.className.trim().split(/\s+/).join(".") : "";
	const dateField = el.tagName === "INPUT" && /^(date|time|datetime-local|month|week)$/.test(el.type);
	const text = ("value" in el && el.tagName !== "BUTTON" ? String(el.value) : el.innerText || el.textContent || "").trim().replace(/\s+/g, " ");
	return {
		element: el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + cls,
		id: el.id, text: text.slice(0, 80),
		outline: cs.outlineStyle === "none" ? "none" : cs.outlineWidth + " " + cs.outlineStyle + " " + cs.outlineColor,
		outlineWidth: cs.outlineStyle === "none" ? 0 : parseFloat(cs.outlineWidth),
		boxShadow: cs.boxShadow,
		focusVisible: el.matches(":focus-visible") || dateField && el.matches(":focus-within"),
		inViewport: r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth && r.width > 0 && r.height > 0,
	};
})()`

// Focused describes the element that has the focus now.
func Focused(ctx context.Context) (Focus, error) {
	return chromedp.Run(ctx, chromedp.Evaluate[Focus](focusJS))
}

// Reflow is what a page does at its viewport's width.
type Reflow struct {
	ScrollWidth int      `json:"scrollWidth"` // of the document
	ClientWidth int      `json:"clientWidth"`
	CutOff      []string `json:"cutOff"` // elements and text that stick out of the viewport or out of a box that clips them
}

// OK reports whether nothing scrolls sideways and nothing is cut off.
func (r Reflow) OK() bool { return r.ScrollWidth <= r.ClientWidth && len(r.CutOff) == 0 }

// The page must not scroll sideways, and nothing visible may stick out of
// the viewport or out of a box that hides its overflow. Form controls
// scroll their own text, and 1-pixel boxes are visually hidden on purpose
// (screen-reader text), so those are not counted.
const reflowJS = `(() => {
	const de = document.documentElement, w = de.clientWidth, out = [];
	const name = el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
		(typeof el.className === "string" && el.className ? "." + el.className.trim().split(/\s+/).join(".") : "");
	const hidden = el => {
		for (let e = el; e && e !== document.body; e = e.parentElement) {
			const r = e.getBoundingClientRect();
			if (r.width <= 1 || r.height <= 1) return true;
			const cs = getComputedStyle(e);
			if (cs.visibility === "hidden" || cs.display === "none") return true;
		}
		return false;
	};
	for (const el of document.body.querySelectorAll("*")) {
		if (el.getClientRects().length === 0 || hidden(el)) continue;
		const r = el.getBoundingClientRect();
		if (r.left < -1 || r.right > w + 1) out.push(name(el) + " spans " + Math.round(r.left) + "–" + Math.round(r.right) + "px of " + w);
		const cs = getComputedStyle(el);
		if (!/^(INPUT|SELECT|TEXTAREA)$/.test(el.tagName) && cs.overflowX !== "visible" && el.scrollWidth > el.clientWidth + 1)
			out.push(name(el) + " clips its content: " + el.scrollWidth + "px in " + el.clientWidth);
	}
	const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
	for (let n = walk.nextNode(); n; n = walk.nextNode()) {
		if (!n.textContent.trim() || hidden(n.parentElement)) continue;
		const range = document.createRange();
		range.selectNodeContents(n);
		for (const r of range.getClientRects()) {
			if (r.width > 0 && (r.left < -1 || r.right > w + 1)) {
				out.push("text " + JSON.stringify(n.textContent.trim().slice(0, 40)) + " in " + name(n.parentElement) + " spans " + Math.round(r.left) + "–" + Math.round(r.right) + "px of " + w);
				break;
			}
		}
	}
	return {scrollWidth: de.scrollWidth, clientWidth: w, cutOff: out};
})()`

// TextSpacing sets the text spacing that WCAG 1.4.12 says a page must
// take without losing content — line height 1.5, paragraphs 2 em apart,
// letters 0.12 em and words 0.16 em — on every element, as a reader's own
// style sheet would. It changes the page until it is loaded again.
func TextSpacing() chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](`(() => {
		for (const el of document.querySelectorAll("body, body *")) {
			el.style.setProperty("line-height", "1.5", "important");
			el.style.setProperty("letter-spacing", "0.12em", "important");
			el.style.setProperty("word-spacing", "0.16em", "important");
			if (el.tagName === "P") el.style.setProperty("margin-bottom", "2em", "important");
		}
	})()`)
}

// CheckReflow measures the page at the tab's current viewport.
func CheckReflow(ctx context.Context) (Reflow, error) {
	return chromedp.Run(ctx, chromedp.Evaluate[Reflow](reflowJS))
}

// Control is an interactive node of the accessibility tree.
type Control struct {
	Role, Name  string
	Description string // what the element refers to with aria-describedby, its title, …
	HTML        string // the start of its element, for messages
}

// controlRoles are the roles of the controls a person operates; each
// needs a name that says what it does.
var controlRoles = []string{"button", "link", "textbox", "searchbox", "combobox", "listbox", "option",
	"radio", "checkbox", "switch", "slider", "spinbutton", "menuitem", "tab"}

// Controls returns the controls of the page's accessibility tree, as
// Chromium computes it for screen readers, with their accessible names.
func Controls(ctx context.Context) ([]Control, error) {
	tree, err := chromedp.Call(ctx, accessibility.GetFullAXTree, accessibility.GetFullAXTreeParams{})
	if err != nil {
		return nil, fmt.Errorf("accessibility tree: %w", err)
	}
	var out []Control
	for _, n := range tree.Nodes {
		if n.Ignored || n.Role == nil {
			continue
		}
		role := axString(n.Role)
		if !slices.Contains(controlRoles, role) {
			continue
		}
		c := Control{Role: role, Name: strings.TrimSpace(axString(n.Name)), Description: strings.TrimSpace(axString(n.Description))}
		if c.Name == "" && n.BackendDOMNodeID != 0 {
			if html, err := chromedp.Call(ctx, dom.GetOuterHTML, dom.GetOuterHTMLParams{BackendNodeID: n.BackendDOMNodeID}); err == nil {
				c.HTML = html.OuterHTML
				if i := strings.Index(c.HTML, ">"); i >= 0 {
					c.HTML = c.HTML[:i+1]
				}
			}
		}
		out = append(out, c)
	}
	return out, nil
}

func axString(v *accessibility.Value) string {
	if v == nil || len(v.Value) == 0 {
		return ""
	}
	var s string
	if err := json.Unmarshal(v.Value, &s); err != nil {
		return string(v.Value)
	}
	return s
}
