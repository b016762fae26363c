import Foundation
import Testing

@testable import Imaging
@testable import TestSupport

/// `ik_estimate_peak` (`ImageKernel.estimatedPeakBytes`) against the peak memory of the job it estimates, for
/// every fixture and generated PNGs of every colour type, with the operation lists the service runs. The peak
/// is measured by `kernel-peak` (`Sources/kernel-peak/main.c`), a process that runs the one job with every
/// allocation counted: the kernel's, libjpeg's, libpng's and zlib's, by the size glibc hands out.
@Suite struct ImageKernelMemoryTests {
    let kernel = ImageKernel()

    /// What one `kernel-peak` run printed.
    struct Measurement {
        var estimate: Int
        var outputEstimate: Int
        var peak: Int
        var estimatorPeak: Int
        var output: Int
    }

    /// One operation list, as `kernel-peak` arguments and as the service's options.
    struct Job: CustomTestStringConvertible, Sendable {
        var arguments: [String]
        var options: ProcessingOptions
        var testDescription: String { arguments.joined(separator: " ") }
    }

    /// The jobs for an image `width` pixels wide: grayscale, resize to 800 and to the 8× enlargement cap,
    /// resize with grayscale either way round, a cover crop, and conversions to PNG and to JPEG.
    static func jobs(width: Int) -> [Job] {
        let large = width * 8
        return [
            Job(arguments: ["--op", "grayscale"], options: ProcessingOptions(operations: [.grayscale])),
            Job(
                arguments: ["--op", "grayscale", "--format", "png"],
                options: ProcessingOptions(operations: [.grayscale], format: .png)),
            Job(
                arguments: ["--op", "resize", "--width", "800"],
                options: ProcessingOptions(operations: [.resize], width: 800)),
            Job(
                arguments: ["--op", "resize", "--width", "\(large)", "--format", "png"],
                options: ProcessingOptions(operations: [.resize], width: large, format: .png)),
            Job(
                arguments: ["--op", "resize", "--width", "\(large)", "--format", "jpeg", "--quality", "100"],
                options: ProcessingOptions(operations: [.resize], width: large, format: .jpeg, quality: 100)),
            Job(
                arguments: ["--op", "resize,grayscale", "--width", "800"],
                options: ProcessingOptions(operations: [.resize, .grayscale], width: 800)),
            Job(
                arguments: ["--op", "grayscale,resize", "--width", "300", "--height", "300", "--fit", "cover"],
                options: ProcessingOptions(
                    operations: [.grayscale, .resize], width: 300, height: 300, fit: .cover)),
            Job(
                arguments: ["--op", "", "--format", "png"], options: ProcessingOptions(operations: [], format: .png)
            ),
            Job(
                arguments: ["--op", "", "--format", "jpeg"],
                options: ProcessingOptions(operations: [], format: .jpeg)),
        ]
    }

    static let fixtureNames = [
        "cmyk.jpg", "gray.jpg", "progressive.jpg", "s422.jpg", "s444.jpg", "texture-baseline.jpg",
        "texture-progressive.jpg", "texture-rgb.jpg", "ycck.jpg",
    ]

    /// Generated PNGs: every colour type and depth the decoder converts, tRNS, Adam7, an EXIF rotation, and
    /// one large enough (1 MP) that pixels outweigh the codecs' fixed state; and a progressive JPEG turned by
    /// EXIF (no coefficient path then).
    static func generatedImages() throws -> [(name: String, bytes: [UInt8])] {
        func fixture(_ width: Int, _ height: Int, _ type: PNGFixture.ColorType, depth: Int = 8) -> PNGFixture {
            PNGFixture(width: width, height: height, colorType: type, bitDepth: depth) { x, y, channel in
                ((x * 7 + y * 3 + channel * 50) ^ (x * y)) & ((1 << depth) - 1)
            }
        }
        var palette = fixture(150, 90, .palette)
        palette.palette = (0..<256).map { [UInt8($0), UInt8(255 - $0), UInt8($0 / 2)] }
        palette.transparency = (0..<256).map { UInt8($0) }
        var interlaced = fixture(130, 70, .rgba, depth: 16)
        interlaced.interlaced = true
        var keyed = fixture(100, 80, .rgb)
        keyed.transparency = [0, 10, 0, 20, 0, 30]
        // Samples that deflate cannot shrink, as a photo's PNG nearly is.
        let noise = PNGFixture(width: 1200, height: 800, colorType: .rgba, bitDepth: 8) { x, y, channel in
            let key = (UInt32(x) &* 73_856_093) ^ (UInt32(y) &* 19_349_663) ^ (UInt32(channel) &* 83_492_791)
            return Int((key &* 2_654_435_761) >> 24)
        }
        let rotated = ImageKernelOrientationTests.tagPNG(fixture(120, 90, .rgb).bytes, orientation: 6)
        return [
            ("gray1.png", fixture(97, 61, .gray, depth: 1).bytes),
            ("gray16.png", fixture(120, 80, .gray, depth: 16).bytes),
            ("gray-alpha.png", fixture(120, 80, .grayAlpha).bytes),
            ("rgb.png", fixture(203, 157, .rgb).bytes),
            ("rgb-key.png", keyed.bytes),
            ("rgba16-adam7.png", interlaced.bytes),
            ("palette-trns.png", palette.bytes),
            ("rotated6.png", rotated),
            (
                "rotated8.jpg",
                ImageKernelOrientationTests.tagJPEG(
                    try FixtureFiles.bytes("texture-progressive.jpg"), orientation: 8)
            ),
            ("large-rgba.png", noise.bytes),
        ]
    }

    /// `kernel-peak`, built beside the test bundle.
    static var tool: String {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        return URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("kernel-peak")
            .path
    }

    /// Runs `path` and returns what it wrote to standard output and its exit status. With posix_spawn rather
    /// than Foundation's Process, whose run() leaks a weak reference that LeakSanitizer reports (`make asan`).
    static func run(_ path: String, _ arguments: [String]) throws -> (output: String, status: Int32) {
        var ends: [Int32] = [0, 0]
        try #require(pipe(&ends) == 0)
        // Not inherited by children other threads spawn (the Glibc module has no pipe2): they would hold the
        // write end open and delay the end of the output until they exit.
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, ends[1], 1)
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, nil, argv, environ)
        close(ends[1])
        defer { close(ends[0]) }
        try #require(spawned == 0, "cannot run \(path): \(spawned)")
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(ends[0], &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            output += buffer[..<count]
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // WIFEXITED and WEXITSTATUS, which Swift does not import.
        let exited = status & 0x7F == 0
        return (String(decoding: output, as: UTF8.self), exited ? (status >> 8) & 0xFF : -1)
    }

    static func measure(_ bytes: [UInt8], name: String, _ arguments: [String]) throws -> Measurement {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "kernel-peak-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent(name)
        try Data(bytes).write(to: file)
        let (text, status) = try Self.run(tool, [file.path] + arguments)
        try #require(status == 0, "kernel-peak \(name) \(arguments): \(text)")
        var fields: [String: Int] = [:]
        for pair in text.split(whereSeparator: \.isWhitespace) {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2, let value = Int(parts[1]) { fields[String(parts[0])] = value }
        }
        return Measurement(
            estimate: try #require(fields["estimate"]), outputEstimate: try #require(fields["output_estimate"]),
            peak: try #require(fields["peak"]), estimatorPeak: try #require(fields["estimator_peak"]),
            output: try #require(fields["output"]))
    }

    /// The bound holds, is useful for admission (at most 3× the peak and 16 MiB), agrees with the Swift face,
    /// and the estimator itself takes no image-sized memory.
    func expectBound(_ bytes: [UInt8], name: String, job: Job) throws {
        let measured = try Self.measure(bytes, name: name, job.arguments)
        let label = "\(name) \(job.testDescription): estimate \(measured.estimate), peak \(measured.peak)"
        #expect(measured.peak > 0, "\(label)")
        #expect(measured.peak <= measured.estimate, "\(label)")
        #expect(measured.estimate <= 3 * measured.peak + 16 * 1024 * 1024, "\(label)")
        #expect(measured.output <= measured.outputEstimate, "\(label): output \(measured.output)")
        #expect(measured.estimatorPeak < 256 * 1024, "\(label): the estimator took \(measured.estimatorPeak)")
        let swift = try kernel.estimatedPeakBytes(bytes, options: job.options)
        #expect(swift == max(measured.estimate, 2 * measured.outputEstimate), "\(label)")
    }

    @Test(arguments: fixtureNames)
    func boundsThePeakOfEveryJobOnEveryFixture(name: String) throws {
        let bytes = try FixtureFiles.bytes(name)
        let width = try kernel.probe(bytes).width
        for job in Self.jobs(width: width) {
            try expectBound(bytes, name: name, job: job)
        }
    }

    @Test func boundsThePeakOfEveryJobOnGeneratedImages() throws {
        for (name, bytes) in try Self.generatedImages() {
            let width = try kernel.probe(bytes).width
            for job in Self.jobs(width: min(width, 300)) {
                try expectBound(bytes, name: name, job: job)
            }
        }
    }

    /// Where pixels outweigh the fixed state, the bound is close for PNG to PNG (whose worst case is the raw
    /// rows, nearly what noise takes): within 1.5×, what the output buffer's doubling may cost.
    @Test func isCloseForALargePNG() throws {
        let bytes = try #require(try Self.generatedImages().last).bytes
        for arguments in [
            ["--op", "grayscale"], ["--op", "resize", "--width", "2000"], ["--op", "", "--format", "png"],
        ] {
            let measured = try Self.measure(bytes, name: "large-rgba.png", arguments)
            #expect(
                measured.peak <= measured.estimate && 2 * measured.estimate <= 3 * measured.peak,
                "\(arguments): estimate \(measured.estimate), peak \(measured.peak)")
        }
    }

    /// The job streams its rows: resizing the 1200 × 800 RGBA PNG (3.84 MB of pixels) holds a ring of rows, the
    /// weights and the small result, and converting it to a grayscale JPEG holds rows and the output buffer,
    /// never the decoded image.
    @Test func streamsRowsWithoutTheWholeImage() throws {
        let bytes = try #require(try Self.generatedImages().last).bytes
        let pixels = 1200 * 800 * 4
        let resized = try Self.measure(bytes, name: "large-rgba.png", ["--op", "resize", "--width", "300"])
        #expect(resized.peak < pixels / 4, "resize: peak \(resized.peak)")
        let gray = try Self.measure(bytes, name: "large-rgba.png", ["--op", "grayscale", "--format", "jpeg"])
        // The output is reserved at 2 bytes a pixel for gray (its worst case); the pixels would add 4.
        #expect(gray.peak < 1200 * 800 * 2 + 1024 * 1024, "grayscale: peak \(gray.peak)")
    }

    // MARK: Vulnerability

    /// A header claiming 60000 × 60000 pixels is refused as `process` refuses it, before anything is allocated;
    /// under a limit that admits it, the estimate is the memory that job would need, computed without it.
    @Test func estimatesAHugeHeaderWithoutItsMemory() throws {
        // The signature, an IHDR of 60000 x 60000 8-bit RGBA, and the start of an IDAT.
        let side: [UInt8] = [0x00, 0x00, 0xEA, 0x60]
        let header =
            [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
            + PNGFixture.chunk("IHDR", side + side + [8, 6, 0, 0, 0])
            + PNGFixture.chunk("IDAT", [0x78, 0x01])
        #expect(throws: ImageError.self) { try kernel.estimatedPeakBytes(header, options: ProcessingOptions()) }
        let unlimited = ImageKernel(maxPixels: 4_000_000_000)
        let bytes = try unlimited.estimatedPeakBytes(
            header, options: ProcessingOptions(operations: [], format: .png))
        // The decoded pixels and a PNG of them at least: 2 × 14.4 GB.
        #expect(bytes > 2 * 60000 * 60000 * 4)
    }

    @Test func refusesWhatProcessRefuses() throws {
        let jpeg = try FixtureFiles.bytes("progressive.jpg")
        #expect(throws: ImageError.self) {
            try kernel.estimatedPeakBytes(jpeg, options: ProcessingOptions(operations: [.resize]))
        }
        #expect(throws: ImageError.self) {
            try kernel.estimatedPeakBytes(Array(jpeg.prefix(20)), options: ProcessingOptions())
        }
        #expect(throws: ImageError.self) {
            try ImageKernel(maxPixels: 1000).estimatedPeakBytes(jpeg, options: ProcessingOptions())
        }
    }
}
