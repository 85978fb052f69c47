import Testing

@testable import ShadowWeb

@Suite struct HTMLTests {
    @Test func interpolatedTextIsEscapedAndMarkupIsNot() {
        // Given a value an event could carry, and a fragment the page wrote
        let reason = #"<script>alert("x")</script> & 'y'"#
        let flag: HTML = "<span class=\"flag\">live</span>"
        // When both go into a page's literal
        let row: HTML = "<td>\(reason)</td><td>\(flag)</td><td>\(42)</td>"
        // Then the text is inert, the markup stays markup, the number is its digits
        #expect(
            row.description
                == "<td>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;</td>"
                + "<td><span class=\"flag\">live</span></td><td>42</td>")
    }

    @Test func joinedAndAddedPiecesKeepTheirEscaping() {
        let paths = ["/a<b>", "/c"].map { path -> HTML in "<code>\(path)</code>" }
        let joined = paths.joined(separator: " ") + "<br>"
        #expect(joined.description == "<code>/a&lt;b&gt;</code> <code>/c</code><br>")
    }
}
