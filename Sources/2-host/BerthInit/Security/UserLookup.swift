/// Resolve a docker/ECS style `user` ("name", "uid", "name:group", "uid:gid", mixed) against the
/// container's own /etc/passwd and /etc/group text. Pure: the caller reads the files.
public struct ResolvedUser: Equatable, Sendable {
    public var uid: UInt32
    public var gid: UInt32
    /// Supplementary groups (setgroups), without duplicates, in order.
    public var groups: [UInt32]
    /// Home directory from passwd, "/" if the user has no entry.
    public var home: String
}

public struct PasswdEntry: Equatable, Sendable {
    public var name: String
    public var uid: UInt32
    public var gid: UInt32
    public var home: String
}

public struct GroupEntry: Equatable, Sendable {
    public var name: String
    public var gid: UInt32
    public var members: [String]
}

public enum UserLookup {
    public static func parsePasswd(_ text: String) -> [PasswdEntry] {
        lines(text).compactMap { f in
            guard f.count >= 4, let uid = UInt32(f[2]), let gid = UInt32(f[3]) else { return nil }
            return PasswdEntry(name: f[0], uid: uid, gid: gid, home: f.count > 5 && !f[5].isEmpty ? f[5] : "/")
        }
    }

    public static func parseGroup(_ text: String) -> [GroupEntry] {
        lines(text).compactMap { f in
            guard f.count >= 3, let gid = UInt32(f[2]) else { return nil }
            let members = f.count > 3 ? f[3].split(separator: ",").map { String($0).trimmingWhitespace() } : []
            return GroupEntry(name: f[0], gid: gid, members: members.filter { !$0.isEmpty })
        }
    }

    private static func lines(_ text: String) -> [[String]] {
        text.split(separator: "\n").compactMap { raw in
            let line = raw.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") { return nil }
            return line.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        }
    }

    /// Resolve `user` (the Berth `username` extension) the way Docker does:
    /// - a name must exist in passwd; a number need not (gid then 0, home "/");
    /// - without a group part, the primary gid comes from passwd and supplementary groups are
    ///   the groups listing the user name as a member;
    /// - with a group part (name or number), that group is the primary gid and the only
    ///   supplementary group (explicit group wins, as in runc's GetExecUser);
    /// - `additionalGids` are appended.
    public static func resolve(_ user: String, passwd: [PasswdEntry], group: [GroupEntry],
                               additionalGids: [UInt32] = []) throws(InitError) -> ResolvedUser {
        let parts = user.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let userPart = parts[0]
        let groupPart = parts.count > 1 ? parts[1] : nil
        guard !userPart.isEmpty, groupPart.map({ !$0.isEmpty }) ?? true else {
            throw InitError("user", "process.user.username: invalid user \(user.debugDescription) (want name, uid, name:group or uid:gid)")
        }

        var entry: PasswdEntry?
        if let uid = UInt32(userPart) {
            entry = passwd.first { $0.uid == uid } ?? PasswdEntry(name: "", uid: uid, gid: 0, home: "/")
        } else {
            entry = passwd.first { $0.name == userPart }
        }
        guard let entry else {
            throw InitError("user", "process.user.username: unable to find user \(userPart): no matching entries in passwd file")
        }

        var result = ResolvedUser(uid: entry.uid, gid: entry.gid, groups: [], home: entry.home)
        if let groupPart {
            let found: GroupEntry? = UInt32(groupPart).map { gid in
                group.first { $0.gid == gid } ?? GroupEntry(name: "", gid: gid, members: [])
            } ?? group.first { $0.name == groupPart }
            guard let found else {
                throw InitError("user", "process.user.username: unable to find group \(groupPart): no matching entries in group file")
            }
            result.gid = found.gid
            result.groups = [found.gid]
        } else if !entry.name.isEmpty {
            result.groups = group.filter { $0.members.contains(entry.name) }.map { $0.gid }
        }
        for gid in additionalGids where !result.groups.contains(gid) {
            result.groups.append(gid)
        }
        return result
    }

    /// Numeric uid/gid from the spec (no `username`): home from passwd when the uid has an entry.
    public static func numeric(uid: UInt32, gid: UInt32, additionalGids: [UInt32], passwd: [PasswdEntry]) -> ResolvedUser {
        var groups: [UInt32] = []
        for g in additionalGids where !groups.contains(g) { groups.append(g) }
        return ResolvedUser(uid: uid, gid: gid, groups: groups, home: passwd.first { $0.uid == uid }?.home ?? "/")
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" || c == "\r" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" || c == "\r" { s.removeLast() }
        return String(s)
    }
}
