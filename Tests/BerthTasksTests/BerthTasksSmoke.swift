import Testing
@testable import BerthTasks

@Test func BerthTasksLinks() {}
