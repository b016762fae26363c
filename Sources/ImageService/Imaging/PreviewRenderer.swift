import Dispatch
import Synchronization

/// Makes thumbnails for the page (`?preview=256`) on the workers' budget: each render holds a slot of the shared
/// ``ImageWorkBudget`` for its kernel calls, so previews and jobs together never run more kernel calls than there
/// are workers. The calls block, so they run on a dispatch queue of this renderer's, never on the event loop or
/// Swift's cooperative pool; the queue is concurrent and the budget alone limits how many run.
///
/// Coalescing identical requests and remembering failures is ``PreviewFlights``' part; this type only renders.
public final class PreviewRenderer: Sendable {
    /// The preview sizes offered: the longest side in pixels.
    public static let sizes: Set<Int> = [128, 256, 512]

    private let kernel: ImageKernel
    private let budget: ImageWorkBudget
    private let queue = DispatchQueue(label: "imageproc.previews", qos: .utility, attributes: .concurrent)
    private let renders = Atomic(0)

    public init(kernel: ImageKernel, budget: ImageWorkBudget) {
        self.kernel = kernel
        self.budget = budget
    }

    /// How many renders were started (successful or not): what tests count.
    public var renderCount: Int { renders.load(ordering: .relaxed) }

    /// `bytes` shrunk to fit a `size`×`size` box, in its own format. Never enlarges. Waits for a slot first.
    public func render(_ bytes: [UInt8], size: Int) async throws(ImageError) -> ProcessedImage {
        await budget.acquire()
        let result = await withCheckedContinuation {
            (continuation: CheckedContinuation<Result<ProcessedImage, ImageError>, Never>) in
            queue.async { [self] in
                renders.add(1, ordering: .relaxed)
                let result = Result { () throws(ImageError) in try Self.thumbnail(bytes, size: size, kernel: kernel) }
                budget.release()
                continuation.resume(returning: result)
            }
        }
        return try result.get()
    }

    private static func thumbnail(_ bytes: [UInt8], size: Int, kernel: ImageKernel) throws(ImageError) -> ProcessedImage
    {
        let info = try kernel.probe(bytes)
        let scale = min(1, Double(size) / Double(max(info.width, info.height)))
        let options = ProcessingOptions(
            operations: [.resize], width: max(1, Int((Double(info.width) * scale).rounded())),
            height: max(1, Int((Double(info.height) * scale).rounded())), fit: .fill, quality: 80)
        return try kernel.process(bytes, options: options)
    }
}
