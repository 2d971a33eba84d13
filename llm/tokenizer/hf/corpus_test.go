package hf

import (
	"strings"
	"testing"

	"forensics/corpora"
)

// agreementTexts is the varied corpus the agreement test encodes: code,
// CJK, emoji with ZWJ sequences, runs of whitespace and newlines, numbers,
// mixed scripts, right-to-left text, combining marks, special-token
// strings in text, invalid and odd Unicode, then paragraphs of the
// shipped corpora (every step-th, up to n of them).
func agreementTexts(t testing.TB, n, step int) []string {
	t.Helper()
	texts := append([]string(nil), oddTexts...)
	for _, sep := range []string{" ", "\n", "  ", "\t", ""} {
		texts = append(texts, strings.Join(oddTexts, sep))
	}
	paras, err := corpora.Paragraphs()
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(paras) && n > 0; i += step {
		texts = append(texts, paras[i])
		n--
	}
	return texts
}

var oddTexts = []string{
	// Code.
	"func main() {\n\tfmt.Println(\"hello, world\")\n}\n",
	"def f(x):\n    return x**2 + 3*x - 1  # comment\n\n\nclass A:\n    pass\n",
	`{"key": [1, 2.5, -3e10, true, null], "nested": {"a": "b\"c"}}`,
	"<html><body><div class=\"x\">Hi &amp; bye</div></body></html>",
	"for i in $(seq 1 10); do echo \"$i\" | grep -E '^[0-9]+$' >/dev/null; done",
	"SELECT id, name FROM users WHERE age >= 18 ORDER BY name DESC LIMIT 10;",
	"x := map[string][]int{\"a\": {1, 2}}; y = x[\"a\"][0] << 3 >> 1 & 0xFF | ^0",
	"https://example.com/path/to/page?query=1&lang=en#frag user@example.org",
	// CJK.
	"我们今天去北京大学参观了图书馆。",
	"日本語のテキストです。カタカナとひらがなと漢字が混ざっています。",
	"한국어 텍스트도 포함합니다. 안녕하세요!",
	"中文English混合text，全角标点！",
	// Emoji.
	"👨\u200d👩\u200d👧\u200d👦 family, 🏳️\u200d🌈 flag, 👍🏽 thumbs, 🇫🇷🇯🇵 flags, 1️⃣ keycap, 🧑🏿\u200d💻 coder",
	"😀😃😄😁😆😅🤣😂🙂🙃😉😊😇🥰😍🤩😘😗☺️😚😙",
	"❤️\u200d🔥 ❤ ♥︎ ★☆ ✓✗ →←↑↓ ∑∫√∞ ≠≤≥",
	// Whitespace.
	"   leading and trailing   ",
	"\n\n\n\nnewlines\n\n\n\n",
	"tabs\t\t\tand\r\nCRLF\r\n\r\nlines",
	strings.Repeat(" ", 100) + "x" + strings.Repeat("\n", 50) + "y" + strings.Repeat("\t", 30),
	" \n \n \n  \n\n   \t \n",
	"no\u00a0break\u3000ideographic\u2028line\u2029para\u2003em\u200bzero",
	// Numbers.
	"1234567890 12345 3.14159 1,000,000 -42 +7 1e-9 0x1F 007",
	"١٢٣٤٥ ۱۲۳ ①②③ １２３ ² ³ ½ ⅓ Ⅻ ৪৫ ๑๒๓",
	strings.Repeat("9", 200),
	// Mixed scripts and right-to-left.
	"Hello мир 世界 مرحبا שלום Γειά σου नमस्ते สวัสดี",
	"العربية نص من اليمين إلى اليسار مع 123 أرقام",
	"עברית \u200fטקסט\u200e mixed with English",
	// Combining marks.
	"e\u0301 e\u0300\u0323 A\u030a Å Å ñ n\u0303 Tiếng Việt có dấu",
	"Z\u0351\u0364\u0300a\u0357\u0307l\u0363g\u0368o\u0306 text",
	"हिन्दी देवनागरी क्षत्रिय ஸ்ரீ ශ්\u200dරී",
	// Contractions and case.
	"it's IT'S we'll WE'LL I'm I'M they've you'd it'ſ don't",
	"ǅemo ǈ İstanbul ΣΊΣΥΦΟΣ straße STRASSE ﬁ ﬂ",
	// Special-token strings in text.
	"<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
	"<|endoftext|> <|begin_of_text|><|eot_id|> <｜begin▁of▁sentence｜>x<｜User｜>",
	"<bos><start_of_turn>user hi<end_of_turn> <pad> <unk> <mask>",
	"<think>\nreasoning\n</think>\n\nanswer <tool_call>{}</tool_call>",
	"<|im_start <<|im_end|>> <|im_end|<|im_end|>| <bos <eos>",
	"<｜fim▁hole｜> <｜fim▁begin｜>code<｜fim▁end｜> ▁▁ ▁x",
	// Invalid and odd Unicode.
	"\xff\xfe bad \x80 bytes \xc3 \xe2\x82",
	"nul\x00byte \x07bell \x1b[31mred\x1b[0m",
	"\uffff \ufffe \U0010ffff \ufeffbom \ue000 private",
	"\ufe0f\ufe0e selectors \u200d\u200c joiners \u2060",
	"\ud7ff \U0001F9D1 \U000E0041 tags",
	strings.Repeat("a", 1000),
	strings.Repeat("ab ", 300),
	"",
	" ",
	"\n",
}
