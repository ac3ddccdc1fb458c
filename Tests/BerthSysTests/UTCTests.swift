import Testing
@testable import BerthSys

@Suite struct UTCTests {
    @Test func formatsEachStringForm() {
        #expect(UTC.rfc3339(nanos: 951_782_400_000_000_001) == "2000-02-29T00:00:00.000000001Z")
        #expect(UTC.httpDate(0) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(UTC.httpDate(1_440_938_160) == "Sun, 30 Aug 2015 12:36:00 GMT")
        #expect(UTC.amzDate(1_440_938_160.9) == "20150830T123600Z")
        #expect(UTC.dateTime(1_440_938_160) == "2015-08-30 12:36:00Z")
        #expect(UTC.rfc3339(1_440_938_160.9) == "2015-08-30T12:36:00Z")
    }

    @Test func parsesBack() {
        #expect(UTC.parseRFC3339("2026-11-22T20:50:35.25Z") == 1_795_380_635.25)
        #expect(UTC.parseRFC3339("2026-11-22T20:50:35Z") == 1_795_380_635)
        #expect(UTC.parseRFC3339("2026-13-22T20:50:35Z") == nil)
        #expect(UTC.parseRFC3339("2026-11-22 20:50:35Z") == nil)
        #expect(UTC.parseAmzDate("20000229T000000Z") == 951_782_400)
        #expect(UTC.parseAmzDate("2000022xT000000Z") == nil)
    }
}
