/// Fargate task sizes (§1.6): cpu units → allowed memory MiB.
public enum FargateSizes {
    public static let table: [(cpu: Int, memory: [Int])] = [
        (256, [512, 1024, 2048]),
        (512, Array(stride(from: 1024, through: 4096, by: 1024))),
        (1024, Array(stride(from: 2048, through: 8192, by: 1024))),
        (2048, Array(stride(from: 4096, through: 16384, by: 1024))),
        (4096, Array(stride(from: 8192, through: 30720, by: 1024))),
        (8192, Array(stride(from: 16384, through: 61440, by: 4096))),
        (16384, Array(stride(from: 32768, through: 122880, by: 8192))),
    ]

    public static func isValid(cpu: Int, memory: Int) -> Bool {
        table.contains { $0.cpu == cpu && $0.memory.contains(memory) }
    }

    /// "512, 1024 or 2048" for a cpu value, nil when the cpu value has no Fargate size.
    static func memoryChoices(cpu: Int) -> String? {
        guard let row = table.first(where: { $0.cpu == cpu }) else { return nil }
        if row.memory.count <= 3 { return row.memory.map(String.init).joined(separator: ", ") }
        let step = row.memory[1] - row.memory[0]
        return "\(row.memory.first!)-\(row.memory.last!) in steps of \(step)"
    }
}
