import Testing

@testable import HTTPProtocol

@Suite struct MediaTypeTests {
    @Test func lowerCasesTypeAndParameterNamesButNotValues() throws {
        let parsed = try #require(MediaType(parsing: "Multipart/Form-Data; Boundary=AbC; charset=\"UTF-8\""))
        #expect(parsed.type == "multipart")
        #expect(parsed.subtype == "form-data")
        #expect(parsed.essence == "multipart/form-data")
        #expect(parsed.parameters == ["boundary": "AbC", "charset": "UTF-8"])
        #expect(parsed.parameter("BOUNDARY") == "AbC")
    }

    @Test func readsQuotedParametersWithSemicolonsAndEscapes() throws {
        let parsed = try #require(MediaType(parsing: #"text/plain ; a="x;y" ; b="q\"q" ;; c=plain "#))
        #expect(parsed.parameters == ["a": "x;y", "b": #"q"q"#, "c": "plain"])
    }

    @Test func keepsTheFirstOfRepeatedParameters() throws {
        #expect(try #require(MediaType(parsing: "text/plain; a=1; A=2")).parameter("a") == "1")
    }

    @Test func rejectsTextThatIsNotAMediaType() {
        for text in ["", "json", "text/", "/plain", "text/plain/x", "te xt/plain", "text/pl\"ain"] {
            #expect(MediaType(parsing: text) == nil, "\(text)")
        }
    }

    @Test func recognisesJSON() throws {
        #expect(try #require(MediaType(parsing: "application/json; charset=utf-8")).isJSON)
        #expect(try #require(MediaType(parsing: "Application/Problem+JSON")).isJSON)
        #expect(try !#require(MediaType(parsing: "text/json")).isJSON)
        #expect(try !#require(MediaType(parsing: "application/jsonp")).isJSON)
    }
}
