import ArgumentParser
import Foundation
import ImageService
import Imaging
import Synchronization

/// `imageproc process`: runs the image kernel on local files with a pool of threads, writes the results and
/// reports the throughput. The same parameters as the HTTP API, parsed by the same code.
struct ProcessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "process",
        abstract: "Process local image files with the kernel and report the throughput.")

    @Option(help: "grayscale, resize, or a comma-separated list such as resize,grayscale (default: grayscale).")
    var op: String?

    @Option(help: "Width of the resize box, \(ProcessingOptions.dimensionRange).")
    var width: String?

    @Option(help: "Height of the resize box, \(ProcessingOptions.dimensionRange).")
    var height: String?

    @Option(help: "inside, cover or fill (default: inside).")
    var fit: String?

    @Option(help: "jpeg, png or same (default: same).")
    var format: String?

    @Option(
        help: "JPEG quality, \(ProcessingOptions.qualityRange) (default: \(ProcessingOptions.defaultQuality)).")
    var quality: String?

    @Option(help: "Worker threads (default: the number of cores).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(name: [.customShort("o"), .customLong("output")], help: "Directory for the results.")
    var outputDirectory: String

    @Argument(help: "JPEG or PNG files.")
    var files: [String]

    func validate() throws {
        _ = try parsedOptions()
        guard threads >= 1 else { throw ValidationError("threads must be at least 1") }
        guard !files.isEmpty else { throw ValidationError("name at least one file") }
    }

    func run() throws {
        let options = try parsedOptions()
        AllocatorPolicy.applyForBatch()
        try FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)
        // Largest files first: the longest job must not start last and leave one thread working alone at the end.
        let byteCounts = files.map { (try? FileManager.default.attributesOfItem(atPath: $0)[.size] as? Int) ?? 0 }
        let order = files.indices.sorted { byteCounts[$0] > byteCounts[$1] }
        let start = ContinuousClock.now
        let outcomes = runInParallel(count: files.count, threads: min(threads, files.count)) { index in
            let outcome = processFile(files[order[index]], options: options)
            print(outcome.line)
            return outcome
        }
        let seconds = (ContinuousClock.now - start).seconds
        let succeeded = outcomes.filter(\.succeeded)
        let megapixels = Double(succeeded.map(\.inputPixels).reduce(0, +)) / 1_000_000
        print(
            "\(succeeded.count) of \(files.count) images in \(decimal(seconds * 1000, digits: 1)) ms with \(threads) "
                + "threads: \(decimal(Double(succeeded.count) / seconds, digits: 2)) images/s, "
                + "\(decimal(megapixels / seconds, digits: 1)) megapixels/s")
        if succeeded.count != files.count {
            throw ExitCode.failure
        }
    }

    private func parsedOptions() throws -> ProcessingOptions {
        do {
            return try ProcessingOptions(
                op: op, width: width, height: height, fit: fit, format: format, quality: quality)
        } catch {
            throw ValidationError(error.message)
        }
    }

    /// Reads, processes and writes one file; never throws, so one bad file does not stop the others.
    private func processFile(_ path: String, options: ProcessingOptions) -> FileOutcome {
        let name = (path as NSString).lastPathComponent
        guard let bytes = readFile(path) else {
            return FileOutcome(name: name, result: .failure("cannot read the file"))
        }
        let kernel = ImageKernel()
        let start = ContinuousClock.now
        do {
            let input = try kernel.probe(bytes)
            let result = try kernel.process(bytes, options: options)
            let milliseconds = (ContinuousClock.now - start).seconds * 1000
            let stem = (name as NSString).deletingPathExtension
            let destination = (outputDirectory as NSString).appendingPathComponent(
                "\(stem).\(result.info.format.fileExtension)")
            guard writeFile(destination, result.bytes) else {
                return FileOutcome(name: name, result: .failure("cannot write \(destination)"))
            }
            return FileOutcome(
                name: name,
                result: .success(input: input, output: result.info, bytes: result.bytes.count, ms: milliseconds))
        } catch {
            return FileOutcome(name: name, result: .failure(error.description))
        }
    }
}

/// The bytes of the file at `path`, read straight into the array (no `Data` in between: a photo is megabytes, and
/// every extra copy is fresh pages the kernel must fault in).
private func readFile(_ path: String) -> [UInt8]? {
    guard let file = fopen(path, "rb") else { return nil }
    defer { fclose(file) }
    guard fseek(file, 0, SEEK_END) == 0 else { return nil }
    let size = ftell(file)
    guard size >= 0, fseek(file, 0, SEEK_SET) == 0 else { return nil }
    var complete = false
    let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
        count = size == 0 ? 0 : fread(buffer.baseAddress, 1, size, file)
        complete = count == size
    }
    return complete ? bytes : nil
}

/// Writes `bytes` to `path`, replacing it; false when that fails.
private func writeFile(_ path: String, _ bytes: [UInt8]) -> Bool {
    guard let file = fopen(path, "wb") else { return false }
    let written = bytes.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count, file) }
    return fclose(file) == 0 && written == bytes.count
}

/// What happened to one file, and its line of the report.
private struct FileOutcome: Sendable {
    enum Result: Sendable {
        case success(input: ImageInfo, output: ImageInfo, bytes: Int, ms: Double)
        case failure(String)
    }

    var name: String
    var result: Result

    var succeeded: Bool {
        if case .success = result { true } else { false }
    }

    var inputPixels: Int {
        if case .success(let input, _, _, _) = result { input.width * input.height } else { 0 }
    }

    var line: String {
        switch result {
        case .success(let input, let output, let bytes, let ms):
            "\(name)  \(input.width)x\(input.height) -> \(output.width)x\(output.height)  \(bytes) bytes  "
                + "\(decimal(ms, digits: 1)) ms"
        case .failure(let message):
            "\(name)  error: \(message)"
        }
    }
}

/// Runs `work` for every index below `count` on `threads` threads, each taking the next index when it is free,
/// and returns the results in index order.
private func runInParallel<Result: Sendable>(
    count: Int, threads: Int, _ work: @escaping @Sendable (Int) -> Result
) -> [Result] {
    let state = Mutex((next: 0, results: [Result?](repeating: nil, count: count)))
    let finished = DispatchGroup()
    for _ in 0..<threads {
        finished.enter()
        let thread = Thread {
            while true {
                let index = state.withLock { state -> Int? in
                    guard state.next < count else { return nil }
                    defer { state.next += 1 }
                    return state.next
                }
                guard let index else { break }
                let result = work(index)
                state.withLock { $0.results[index] = result }
            }
            finished.leave()
        }
        thread.start()
    }
    finished.wait()
    return state.withLock { $0.results.map { $0! } }
}

private func decimal(_ value: Double, digits: Int) -> String {
    String(format: "%.\(digits)f", value)
}

extension Duration {
    fileprivate var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
