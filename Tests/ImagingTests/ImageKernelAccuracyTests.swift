import Testing

@testable import Imaging
@testable import TestSupport

/// Exact expectations on small images: grayscale values, resize dimensions, flat colour and gradients.
@Suite struct ImageKernelAccuracyTests {
    let kernel = ImageKernel()

    /// BT.601 luma, rounded, in exact integer arithmetic.
    static func luma(_ r: Int, _ g: Int, _ b: Int) -> Int { (299 * r + 587 * g + 114 * b + 500) / 1000 }

    @Test func grayscaleMatchesRec601WithinOne() throws {
        let colours: [[UInt8]] = [
            [0, 0, 0], [255, 255, 255], [255, 0, 0], [0, 255, 0], [0, 0, 255], [128, 128, 128], [1, 2, 3],
            [254, 1, 127], [12, 200, 99], [99, 12, 200], [200, 99, 12], [17, 17, 18], [250, 251, 252],
            [64, 32, 16],
        ]
        // Every colour on each row, a few rows, so a row-boundary mistake would show.
        let png = PNGFixture.image(width: colours.count, height: 3, colorType: .rgb) { x, _ in colours[x] }
        let gray = try kernel.decode(try kernel.process(png, options: ProcessingOptions()).bytes)
        #expect(gray.channels == 1)
        for y in 0..<3 {
            for (x, colour) in colours.enumerated() {
                let want = Self.luma(Int(colour[0]), Int(colour[1]), Int(colour[2]))
                #expect(abs(Int(gray[x, y].first!) - want) <= 1, "\(colour) -> \(gray[x, y].first!), want \(want)")
            }
        }
    }

    @Test func grayscaleKeepsGraysAndExtremesExact() throws {
        let png = PNGFixture.image(width: 256, height: 1, colorType: .rgb) { x, _ in [UInt8(x), UInt8(x), UInt8(x)]
        }
        let gray = try kernel.decode(try kernel.process(png, options: ProcessingOptions()).bytes)
        #expect(gray.pixels == (0...255).map(UInt8.init))
    }

    /// (box width, box height, fit) -> expected size, for a 40 x 20 source.
    static let sizeCases: [(width: Int?, height: Int?, fit: ResizeFit, expected: [Int])] = [
        (10, nil, .inside, [10, 5]), (nil, 5, .inside, [10, 5]), (10, nil, .cover, [10, 5]),
        (nil, 5, .fill, [10, 5]),
        (10, 10, .inside, [10, 5]), (30, 5, .inside, [10, 5]), (10, 10, .cover, [10, 10]),
        (30, 5, .cover, [30, 5]),
        (10, 30, .fill, [10, 30]), (80, nil, .inside, [80, 40]), (100, 100, .inside, [100, 50]),
        (7, nil, .inside, [7, 4]), (1, nil, .inside, [1, 1]), (nil, 1, .inside, [2, 1]), (1, 1, .cover, [1, 1]),
    ]

    @Test(arguments: 0..<sizeCases.count)
    func resizeProducesTheSizeOfEachFit(index: Int) throws {
        let testCase = Self.sizeCases[index]
        let png = PNGFixture.image(width: 40, height: 20, colorType: .rgb) { x, y in [UInt8(x), UInt8(y), 0] }
        let options = ProcessingOptions(
            operations: [.resize], width: testCase.width, height: testCase.height, fit: testCase.fit)
        let result = try kernel.process(png, options: options)
        #expect([result.info.width, result.info.height] == testCase.expected)
        let image = try kernel.decode(result.bytes)
        #expect([image.width, image.height] == testCase.expected)
    }

    @Test func jpegDecodedScaledGivesTheSameSizeAsFullDecode() throws {
        // 400 x 300 so that a reduction to 50 wide is decoded at 2/8 scale: the output size must not change.
        let png = PNGFixture.image(width: 400, height: 300, colorType: .rgb) { x, y in
            [UInt8(x % 256), UInt8(y % 256), 90]
        }
        let jpeg = try kernel.process(png, options: ProcessingOptions(operations: [], format: .jpeg)).bytes
        for (width, height, fit, expected) in [
            (50, nil, ResizeFit.inside, [50, 38]), (50, 50, .cover, [50, 50]), (60, 20, .fill, [60, 20]),
            (50, 50, .inside, [50, 38]),
        ] as [(Int?, Int?, ResizeFit, [Int])] {
            let options = ProcessingOptions(operations: [.resize], width: width, height: height, fit: fit)
            let fromJPEG = try kernel.process(jpeg, options: options).info
            let fromPNG = try kernel.process(png, options: options).info
            #expect([fromJPEG.width, fromJPEG.height] == expected)
            #expect([fromPNG.width, fromPNG.height] == expected)
        }
    }

    @Test(arguments: [[11, 7], [80, 50], [37, 5], [3, 40]])
    func resizeKeepsAFlatColourExactly(size: [Int]) throws {
        let png = PNGFixture.image(width: 37, height: 23, colorType: .rgb) { _, _ in [200, 100, 50] }
        let options = ProcessingOptions(operations: [.resize], width: size[0], height: size[1], fit: .fill)
        let image = try kernel.decode(try kernel.process(png, options: options).bytes)
        #expect(image.width == size[0] && image.height == size[1])
        #expect(image.pixels == Array(repeating: [200, 100, 50], count: size[0] * size[1]).flatMap { $0 })
    }

    @Test func resizeKeepsAFlatTranslucentColourWithinOne() throws {
        let png = PNGFixture.image(width: 37, height: 23, colorType: .rgba) { _, _ in [200, 100, 50, 128] }
        let options = ProcessingOptions(operations: [.resize], width: 12, height: 9, fit: .fill)
        let image = try kernel.decode(try kernel.process(png, options: options).bytes)
        #expect(image.channels == 4)
        for (index, sample) in image.pixels.enumerated() {
            let want = [200, 100, 50, 128][index % 4]
            #expect(abs(Int(sample) - want) <= 1)
        }
    }

    @Test func resizePreservesTheMeanOfANoisyImage() throws {
        var generator = SeededGenerator(seed: 7)
        let noise = (0..<(64 * 64)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let png = PNGFixture.image(width: 64, height: 64, colorType: .gray) { x, y in [noise[y * 64 + x]] }
        let image = try kernel.decode(
            try kernel.process(png, options: ProcessingOptions(operations: [.resize], width: 16)).bytes)
        let before = Double(noise.map(Int.init).reduce(0, +)) / Double(noise.count)
        let after = Double(image.pixels.map(Int.init).reduce(0, +)) / Double(image.pixels.count)
        #expect(abs(before - after) < 1.5, "mean \(before) became \(after)")
    }

    @Test(arguments: [64, 100, 255, 300, 700])
    func gradientStaysMonotonic(width: Int) throws {
        let png = PNGFixture.image(width: 256, height: 4, colorType: .gray) { x, _ in [UInt8(x)] }
        let options = ProcessingOptions(operations: [.resize], width: width, height: 4, fit: .fill)
        let image = try kernel.decode(try kernel.process(png, options: options).bytes)
        for y in 0..<4 {
            let row = (0..<width).map { image[$0, y].first! }
            #expect(zip(row, row.dropFirst()).allSatisfy { $0 <= $1 }, "row \(y) is not monotonic")
            #expect(row.first! <= 2 && row.last! >= 253)
        }
    }

    @Test func transparentPixelsDoNotBleedTheirColour() throws {
        // Left half fully transparent red, right half opaque blue: without premultiplied filtering, red leaks
        // into the visible pixels along the edge.
        let png = PNGFixture.image(width: 32, height: 8, colorType: .rgba) { x, _ in
            x < 16 ? [255, 0, 0, 0] : [0, 0, 255, 255]
        }
        let image = try kernel.decode(
            try kernel.process(png, options: ProcessingOptions(operations: [.resize], width: 12)).bytes)
        for x in 0..<image.width {
            let pixel = Array(image[x, 1])
            if pixel[3] > 0 {
                #expect(pixel[0] <= 2, "red leaked into visible pixel \(x): \(pixel)")
            }
        }
        #expect(Array(image[0, 1])[3] == 0 && Array(image[11, 1]) == [0, 0, 255, 255])
    }

    @Test func coverCropsTheCentre() throws {
        // 30 x 10 in three vertical bands: a 10 x 10 cover keeps only the middle band.
        let png = PNGFixture.image(width: 30, height: 10, colorType: .rgb) { x, _ in
            x < 10 ? [255, 0, 0] : x < 20 ? [0, 255, 0] : [0, 0, 255]
        }
        let options = ProcessingOptions(operations: [.resize], width: 10, height: 10, fit: .cover)
        let image = try kernel.decode(try kernel.process(png, options: options).bytes)
        #expect(image.pixels == Array(repeating: [0, 255, 0] as [UInt8], count: 100).flatMap { $0 })
    }

    @Test func resizingToTheSameSizeChangesNothing() throws {
        var generator = SeededGenerator(seed: 3)
        let pixels = (0..<(20 * 10 * 3)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let png = PNGFixture.image(width: 20, height: 10, colorType: .rgb) { x, y in
            Array(pixels[(y * 20 + x) * 3..<(y * 20 + x) * 3 + 3])
        }
        let options = ProcessingOptions(operations: [.resize], width: 20, format: .png)
        #expect(try kernel.decode(try kernel.process(png, options: options).bytes).pixels == pixels)
    }
}
