// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "imageproc",
    products: [
        .executable(name: "imageproc", targets: ["imageproc"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        /// The image kernel: decode, resize, grayscale, encode over libjpeg-turbo and libpng. Pure C, no globals.
        .target(
            name: "CImageKernel",
            cSettings: [
                .unsafeFlags(["-O3", "-fno-strict-aliasing", "-Wall", "-Wextra", "-Wno-unused-parameter"])
            ],
            linkerSettings: [
                .linkedLibrary("jpeg"),
                .linkedLibrary("png16"),
                .linkedLibrary("m"),
            ]
        ),
        /// The few Linux headers Glibc's module leaves out (epoll, eventfd, TCP options).
        .target(name: "CSystemShims"),
        /// libpq, the PostgreSQL client library, as a Swift module.
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        /// A PostgreSQL client over libpq: connections, results, binary values, typed errors, a pool. Knows nothing
        /// of images or jobs.
        .target(
            name: "PostgresClient",
            dependencies: ["CLibPQ"]
        ),
        /// HTTP/1.1 as values: the incremental request parser, requests and responses, multipart, media types,
        /// entity tags, canonical paths. No sockets.
        .target(name: "HTTPProtocol"),
        /// The HTTP/1.1 server on POSIX sockets: an epoll event loop, connections, the listener. Serves any
        /// ``HTTPResponder``; knows nothing of the API.
        .target(
            name: "HTTPTransport",
            dependencies: [
                "HTTPProtocol",
                "CSystemShims",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        /// The service: HTTP server, API, jobs and workers, imaging and storage. All logic lives here.
        .target(
            name: "ImageService",
            dependencies: [
                "HTTPProtocol",
                "HTTPTransport",
                "CImageKernel",
                "PostgresClient",
                "CSystemShims",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        /// The `imageproc` binary: `serve` and `process` subcommands.
        .executableTarget(
            name: "imageproc",
            dependencies: [
                "ImageService",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        /// `kernel-peak`: one ik_process call with every allocation counted, its peak beside ik_estimate_peak's
        /// bound (the memory tests and bench/peak.sh run it).
        .executableTarget(
            name: "kernel-peak",
            dependencies: ["CImageKernel"]
        ),
        .testTarget(
            name: "HTTPProtocolTests",
            dependencies: ["HTTPProtocol"]
        ),
        .testTarget(
            name: "ImageServiceTests",
            dependencies: ["ImageService", "HTTPProtocol", "HTTPTransport", "PostgresClient", "CImageKernel"],
            exclude: ["Fixtures"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
