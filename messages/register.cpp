#include "messages/register.hpp"

#include <string>

#include <caf/actor_system_config.hpp>
#include <caf/message.hpp>

#include "messages/call_inspect.hpp"
#include "messages/cluster.hpp"
#include "messages/console.hpp"
#include "messages/coordinator.hpp"
#include "messages/pool.hpp"
#include "messages/pool_cluster.hpp"
#include "messages/ports.hpp"
#include "messages/provider_events.hpp"
#include "messages/session.hpp"
#include "messages/telephony.hpp"
#include "messages/transcript.hpp"

namespace sb {

void register_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<call_record>("sb::call_record");
  cfg.add_message_type<transcript_entry>("sb::transcript_entry");
  cfg.add_message_type<store_batch>("sb::store_batch");
  cfg.add_message_type<call_lookup>("sb::call_lookup");
  cfg.add_message_type<call_list>("sb::call_list");
  cfg.add_message_type<session_snapshot>("sb::session_snapshot");
  cfg.add_message_type<session_batch>("sb::session_batch");
  cfg.add_message_type<tel_connected>("sb::tel_connected");
  cfg.add_message_type<tel_start>("sb::tel_start");
  cfg.add_message_type<tel_media>("sb::tel_media");
  cfg.add_message_type<tel_mark>("sb::tel_mark");
  cfg.add_message_type<tel_dtmf>("sb::tel_dtmf");
  cfg.add_message_type<tel_stop>("sb::tel_stop");
  cfg.add_message_type<tel_closed>("sb::tel_closed");
  cfg.add_message_type<provider_opened>("sb::provider_opened");
  cfg.add_message_type<provider_failure>("sb::provider_failure");
  cfg.add_message_type<provider_closed>("sb::provider_closed");
  cfg.add_message_type<stt_transcript>("sb::stt_transcript");
  cfg.add_message_type<stt_speech_started>("sb::stt_speech_started");
  cfg.add_message_type<stt_utterance_end>("sb::stt_utterance_end");
  cfg.add_message_type<llm_token>("sb::llm_token");
  cfg.add_message_type<llm_done>("sb::llm_done");
  cfg.add_message_type<tts_audio>("sb::tts_audio");
  cfg.add_message_type<tts_done>("sb::tts_done");
  cfg.add_message_type<chat_message>("sb::chat_message");
  cfg.add_message_type<std::vector<chat_message>>("sb::chat_messages");
  cfg.add_message_type<pool_config>("sb::pool_config");
  cfg.add_message_type<pool_acquire>("sb::pool_acquire");
  cfg.add_message_type<pool_lease>("sb::pool_lease");
  cfg.add_message_type<pool_release>("sb::pool_release");
  cfg.add_message_type<pool_cancel>("sb::pool_cancel");
  cfg.add_message_type<pool_stats>("sb::pool_stats");
  cfg.add_message_type<pool_member>("sb::pool_member");
  cfg.add_message_type<pool_view>("sb::pool_view");
  cfg.add_message_type<pool_held>("sb::pool_held");
  cfg.add_message_type<pool_adopt>("sb::pool_adopt");
  cfg.add_message_type<pool_adopted>("sb::pool_adopted");
  cfg.add_message_type<pool_renew>("sb::pool_renew");
  cfg.add_message_type<pool_table>("sb::pool_table");
  cfg.add_message_type<pool_handover>("sb::pool_handover");
  cfg.add_message_type<pool_renewed>("sb::pool_renewed");
  cfg.add_message_type<pool_fronts>("sb::pool_fronts");
  cfg.add_message_type<coord_status>("sb::coord_status");
  cfg.add_message_type<call_lease_info>("sb::call_lease_info");
  cfg.add_message_type<std::vector<call_lease_info>>("sb::call_lease_infos");
  cfg.add_message_type<call_snapshot>("sb::call_snapshot");
  cfg.add_message_type<member_info>("sb::member_info");
  cfg.add_message_type<std::vector<member_info>>("sb::member_infos");
  cfg.add_message_type<cluster_hello>("sb::cluster_hello");
  cfg.add_message_type<cluster_challenge>("sb::cluster_challenge");
  cfg.add_message_type<cluster_join>("sb::cluster_join");
  cfg.add_message_type<cluster_welcome>("sb::cluster_welcome");
  cfg.add_message_type<cluster_heartbeat>("sb::cluster_heartbeat");
  cfg.add_message_type<cluster_leave>("sb::cluster_leave");
  cfg.add_message_type<console_request>("sb::console_request");
  cfg.add_message_type<console_answer>("sb::console_answer");
  cfg.add_message_type<console_actor_info>("sb::console_actor_info");
  cfg.add_error_category(cluster_error_category,
                         [](uint8_t code, caf::atom_value, const caf::message& ctx) {
                           std::string s = std::string{"cluster_error("} +
                                           to_string(static_cast<cluster_errc>(code));
                           if (!ctx.empty())
                             s += ", " + to_string(ctx);
                           return s + ")";
                         });
  cfg.add_error_category(pool_error_category,
                         [](uint8_t code, caf::atom_value, const caf::message&) {
                           return std::string{"pool_error("} +
                                  to_string(static_cast<pool_errc>(code)) + ")";
                         });
}

} // namespace sb
