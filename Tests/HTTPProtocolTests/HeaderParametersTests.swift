import Testing

@testable import HTTPProtocol

@Suite struct HeaderParametersTests {
    private func parse(_ text: String) -> [String] {
        HeaderParameters.parse(text[...]).map { "\($0.name)=\($0.value)" }
    }

    @Test func readsTokensAndQuotedStringsInOrder() {
        #expect(parse(#"; name="file"; filename=a.jpg"#) == ["name=file", "filename=a.jpg"])
    }

    @Test func unescapesOnlyQuoteAndBackslash() {
        #expect(parse(#"; f="a\"b\\c\d""#) == [#"f=a"b\c\d"#])
    }

    @Test func keepsWindowsPathsInQuotedStrings() {
        #expect(parse(#"; filename="C:\Users\me\photo.jpg""#) == [#"filename=C:\Users\me\photo.jpg"#])
    }

    @Test func toleratesWhitespaceAroundEqualsAndEmptyParameters() {
        #expect(parse(" ;; a = 1 ; b= \"2\" ;") == ["a=1", "b=2"])
    }

    @Test func skipsParametersWithoutValue() {
        #expect(parse("; flag; a=1") == ["a=1"])
    }

    @Test func runsAnUnterminatedQuoteToTheEnd() {
        #expect(parse(#"; a="open; b=2"#) == ["a=open; b=2"])
    }

    @Test func lowerCasesNamesOnly() {
        #expect(parse("; NaMe=VaLuE") == ["name=VaLuE"])
    }
}
