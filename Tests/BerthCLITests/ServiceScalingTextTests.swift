import BerthJSON
import Testing
@testable import BerthCLI

@Suite struct ServiceScalingTextTests {
    @Test func showsTargetPoliciesMetricsAlarmsAndActivities() {
        let text = ServiceCommand.scalingText([
            "ScalableTarget": ["MinCapacity": 1, "MaxCapacity": 4, "SuspendedState": ["DynamicScalingInSuspended": true]],
            "ScalingPolicies": [["PolicyName": "cpu50", "TargetTrackingScalingPolicyConfiguration": [
                "TargetValue": 50.0, "PredefinedMetricSpecification": ["PredefinedMetricType": "ECSServiceAverageCPUUtilization"],
                "ScaleOutCooldown": 60, "ScaleInCooldown": 120]]],
            "ScheduledActions": [["ScheduledActionName": "night", "Schedule": "cron(0 22 * * ? *)", "ScalableTargetAction": ["MaxCapacity": 1]]],
            "Metrics": ["CPUUtilization": 73.5],
            "Alarms": [["AlarmName": "TargetTracking-service/default/web-AlarmHigh-x", "StateValue": "ALARM"]],
            "ScalingActivities": [["StartTime": 1_800_000_000, "Description": "Setting desired count to 2.", "Cause": "At ... monitor alarm"]],
        ])
        #expect(text.contains("Auto scaling:     min 1, max 4 (DynamicScalingInSuspended)"))
        #expect(text.contains("Metrics:          CPUUtilization 73.5 %, MemoryUtilization - (last minute)"))
        #expect(text.contains("Policy:           cpu50: target tracking ECSServiceAverageCPUUtilization at 50.0, cooldowns out 60 s / in 120 s"))
        #expect(text.contains("Scheduled:        night: cron(0 22 * * ? *) UTC -> min -, max 1"))
        #expect(text.contains("Alarm:            TargetTracking-service/default/web-AlarmHigh-x ALARM"))
        #expect(text.contains("Setting desired count to 2. At ... monitor alarm"))
        #expect(ServiceCommand.scalingText(["Metrics": [:]]).contains("Auto scaling:     not registered"))
        #expect(ServiceCommand.scalingText(["Metrics": ["RequestCountPerTarget": 47.0], "ScalableTarget": ["MinCapacity": 1, "MaxCapacity": 4]])
            .contains("Metrics:          CPUUtilization -, MemoryUtilization -, RequestCountPerTarget 47.0 (last minute)"))
    }
}
