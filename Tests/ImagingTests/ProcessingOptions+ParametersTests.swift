import Testing

@testable import Imaging

/// The query-string and CLI parameters: defaults, every accepted form, and a message naming the parameter for
/// every rejected one.
@Suite struct ProcessingOptionsParametersTests {
    private func parse(
        op: String? = nil, width: String? = nil, height: String? = nil, fit: String? = nil, format: String? = nil,
        quality: String? = nil
    ) throws(InvalidParameter) -> ProcessingOptions {
        try ProcessingOptions(op: op, width: width, height: height, fit: fit, format: format, quality: quality)
    }

    private func expectRejected(
        _ parameter: String, mentioning words: [String], sourceLocation: SourceLocation = #_sourceLocation,
        _ body: () throws(InvalidParameter) -> ProcessingOptions
    ) {
        do {
            let options = try body()
            Issue.record("accepted: \(options)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.parameter == parameter, sourceLocation: sourceLocation)
            #expect(
                error.message.hasPrefix(parameter) || error.message.contains(parameter),
                sourceLocation: sourceLocation)
            for word in words {
                #expect(error.message.contains(word), "\(error.message)", sourceLocation: sourceLocation)
            }
        }
    }

    @Test func defaultsToGrayscaleSameFormatQuality85() throws {
        #expect(
            try parse() == ProcessingOptions(operations: [.grayscale], fit: .inside, format: .same, quality: 85))
    }

    @Test func parsesOperationListsInOrder() throws {
        #expect(try parse(op: "grayscale").operations == [.grayscale])
        #expect(try parse(op: "resize", width: "10").operations == [.resize])
        #expect(try parse(op: "resize,grayscale", width: "10").operations == [.resize, .grayscale])
        #expect(try parse(op: "grayscale,resize", height: "10").operations == [.grayscale, .resize])
    }

    @Test func rejectsUnknownEmptyAndRepeatedOperations() {
        for op in ["blur", "", "resize,", ",grayscale", "Resize", "grayscale, resize"] {
            expectRejected("op", mentioning: ["grayscale", "resize"]) { () throws(InvalidParameter) in
                try parse(op: op, width: "10")
            }
        }
        expectRejected("op", mentioning: ["at most once"]) { () throws(InvalidParameter) in
            try parse(op: "grayscale,grayscale")
        }
    }

    @Test func parsesDimensionsAtTheirBounds() throws {
        let options = try parse(op: "resize", width: "1", height: "16384")
        #expect(options.width == 1 && options.height == 16384)
        #expect(try parse(op: "resize", height: "300").width == nil)
    }

    @Test func rejectsDimensionsOutOfRangeOrNotIntegers() {
        for value in ["0", "16385", "-1", "abc", "1.5", "", " 10", "99999999999999999999"] {
            expectRejected("width", mentioning: ["integer from 1 to 16384"]) { () throws(InvalidParameter) in
                try parse(op: "resize", width: value)
            }
            expectRejected("height", mentioning: ["integer from 1 to 16384"]) { () throws(InvalidParameter) in
                try parse(op: "resize", height: value)
            }
        }
    }

    @Test func resizeNeedsAWidthOrAHeight() {
        expectRejected("width", mentioning: ["resize", "height"]) { () throws(InvalidParameter) in
            try parse(op: "resize,grayscale")
        }
    }

    @Test func parsesEveryFit() throws {
        #expect(try parse(op: "resize", width: "5").fit == .inside)
        for fit in ResizeFit.allCases {
            #expect(try parse(op: "resize", width: "5", fit: fit.rawValue).fit == fit)
        }
        expectRejected("fit", mentioning: ["inside", "cover", "fill"]) { () throws(InvalidParameter) in
            try parse(op: "resize", width: "5", fit: "stretch")
        }
    }

    @Test func parsesEveryFormat() throws {
        #expect(try parse(format: "jpeg").format == .jpeg)
        #expect(try parse(format: "jpg").format == .jpeg)
        #expect(try parse(format: "png").format == .png)
        #expect(try parse(format: "same").format == .same)
        expectRejected("format", mentioning: ["jpeg", "png", "same"]) { () throws(InvalidParameter) in
            try parse(format: "gif")
        }
    }

    @Test func parsesQualityFrom1To100() throws {
        #expect(try parse(quality: "1").quality == 1)
        #expect(try parse(quality: "100").quality == 100)
        for value in ["0", "101", "high", ""] {
            expectRejected("quality", mentioning: ["integer from 1 to 100"]) { () throws(InvalidParameter) in
                try parse(quality: value)
            }
        }
    }

    // MARK: The output size and the cap on enlargement (issue 12)

    private func size(
        _ options: ProcessingOptions, of width: Int, _ height: Int, orientation: Int = 1,
        maxPixels: Int = 100_000_000
    ) throws(InvalidParameter) -> (width: Int, height: Int) {
        try options.outputSize(
            for: ImageInfo(format: .png, width: width, height: height, orientation: orientation),
            maxEnlargement: ProcessingOptions.defaultMaxEnlargement, maxPixels: maxPixels)
    }

    private func expectRefused(
        _ options: ProcessingOptions, of width: Int, _ height: Int, orientation: Int = 1,
        maxPixels: Int = 100_000_000,
        _ parameter: String, _ message: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        do {
            let result = try size(options, of: width, height, orientation: orientation, maxPixels: maxPixels)
            Issue.record("accepted: \(result)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.parameter == parameter, sourceLocation: sourceLocation)
            #expect(error.message == message, sourceLocation: sourceLocation)
        }
    }

    @Test func refusesEnlargingASideMoreThanTheFactor() {
        expectRefused(
            ProcessingOptions(operations: [.resize], width: 10000), of: 1, 1, "width",
            "width 10000 would enlarge the 1 x 1 image 10000× (at most 8×)")
        expectRefused(
            ProcessingOptions(operations: [.resize], height: 25), of: 10, 3, "height",
            "height 25 would enlarge the 10 x 3 image 8.3× (at most 8×)")
        // inside with both: the side that sets the scale is named.
        expectRefused(
            ProcessingOptions(operations: [.resize], width: 1000, height: 90), of: 100, 10, "height",
            "height 90 would enlarge the 100 x 10 image 9× (at most 8×)")
    }

    @Test func allowsEnlargingUpToTheFactor() throws {
        #expect(try size(ProcessingOptions(operations: [.resize], width: 8), of: 1, 1) == (8, 8))
        #expect(try size(ProcessingOptions(operations: [.resize], height: 24), of: 3, 3) == (24, 24))
        #expect(
            try size(ProcessingOptions(operations: [.resize], width: 800, height: 9000), of: 100, 50) == (800, 400))
        // Reductions and no resize at all are never refused.
        #expect(try size(ProcessingOptions(operations: [.resize], width: 10), of: 4000, 3000) == (10, 8))
        #expect(try size(ProcessingOptions(operations: [.grayscale], width: 16000), of: 3, 2) == (3, 2))
    }

    @Test func measuresCoverByTheLargerRatioAndFillBySide() throws {
        // cover scales both axes by the larger ratio: 800 / 50 = 16 even though 800 / 100 is 8.
        expectRefused(
            ProcessingOptions(operations: [.resize], width: 800, height: 800, fit: .cover), of: 100, 50, "height",
            "height 800 would enlarge the 100 x 50 image 16× (at most 8×)")
        #expect(
            try size(ProcessingOptions(operations: [.resize], width: 400, height: 400, fit: .cover), of: 100, 50)
                == (400, 400))
        // fill scales each axis on its own.
        expectRefused(
            ProcessingOptions(operations: [.resize], width: 100, height: 500, fit: .fill), of: 100, 50, "height",
            "height 500 would enlarge the 100 x 50 image 10× (at most 8×)")
        #expect(
            try size(ProcessingOptions(operations: [.resize], width: 800, height: 10, fit: .fill), of: 100, 50)
                == (800, 10))
    }

    @Test func measuresTheUprightImage() throws {
        // Stored 100 x 1000, EXIF orientation 6: upright it is 1000 x 100, so width 900 is a reduction.
        #expect(
            try size(ProcessingOptions(operations: [.resize], width: 900), of: 100, 1000, orientation: 6) == (
                900, 90
            ))
        expectRefused(
            ProcessingOptions(operations: [.resize], width: 900), of: 100, 1000, "width",
            "width 900 would enlarge the 100 x 1000 image 9× (at most 8×)")
    }

    @Test func refusesAnOutputWithMorePixelsThanTheLimit() {
        expectRefused(
            ProcessingOptions(operations: [.resize], width: 16000), of: 2000, 2000, "width",
            "width 16000 would make a 16000 x 16000 image, more than the limit of 100000000 pixels")
    }
}
