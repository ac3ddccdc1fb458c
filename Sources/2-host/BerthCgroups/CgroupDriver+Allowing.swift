extension CgroupFiles {
    func allowing(_ path: CgroupPath) -> CgroupFiles {
        guard let top = path.relative.split(separator: "/").first.map(String.init), !tops.contains(top) else { return self }
        var copy = self
        copy.tops.append(top)
        return copy
    }
}

extension CgroupV1Driver {
    public func allowing(_ path: CgroupPath) -> any CgroupDriver {
        var d = self
        d.files = files.allowing(path)
        return d
    }
}

extension CgroupV2Driver {
    public func allowing(_ path: CgroupPath) -> any CgroupDriver {
        var d = self
        d.files = files.allowing(path)
        return d
    }
}
