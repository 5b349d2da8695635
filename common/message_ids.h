#pragma once
// journald MESSAGE_IDs, one per kind of event (see systemd/slothd.catalog for their texts).
// Generated once with `systemd-id128 new`; never change a published id.
#include <string_view>

namespace sloth::message_id {

inline constexpr std::string_view kAgentReady = "53ae875fcfe541cd91884e959984df42";
inline constexpr std::string_view kAgentStopping = "0b298df522c840d095b5a2896f5958da";
inline constexpr std::string_view kReloaded = "9232f2f1187f4aaea1efab087690bf63";
inline constexpr std::string_view kReloadFailed = "24ed2568d30147e091c346fbaf71d718";
inline constexpr std::string_view kTaskStarted = "ddb13be93dbc49a59c1a15799ac7a50b";
inline constexpr std::string_view kTaskFinished = "80620c2f77684e5a8d4be7af242ffe9b";
inline constexpr std::string_view kControlCall = "2612421591c9435e813c304447bda4bc";
inline constexpr std::string_view kMasterReady = "375e8564009c4975a0e61f154625c970";
inline constexpr std::string_view kAgentRegistered = "cb95254f4220438280fd5b2330c54140";
inline constexpr std::string_view kAgentStatusChanged = "8c34548aca2745f095ccd2202eac8ddf";
inline constexpr std::string_view kAccessRefused = "dea852c5c2c34a8ab845e8638bac090d";
inline constexpr std::string_view kMasterLinkUp = "d266ff917f044b6291ca4cf3bb0522b3";
inline constexpr std::string_view kMasterLinkLost = "2066b371f57a4c1ebf7be853cfe254e5";
inline constexpr std::string_view kWorkflowStarted = "6be99da298d649f08db4802d5d316921";
inline constexpr std::string_view kWorkflowFinished = "a0699976d80a4712b9e08cf7b1e43278";
inline constexpr std::string_view kWorkflowGroupFinished = "e85736ba318748c990a1540bc952d52f";
inline constexpr std::string_view kTaskSkipped = "42de126b0f46475896fac9bcb0320129";
inline constexpr std::string_view kTaskRefused = "1d8bf7aa320a4909bb83c4f45f1d3d1c";

}  // namespace sloth::message_id
