#pragma once
// The tail of every broadcast, after the adapter gave it its offset: encode once → targets →
// deliver (inline to sessions of this thread, through their inboxes otherwise).
#include "namespace.hpp"

#include <switchboard/rooms/broadcast.hpp>

namespace switchboard::server::detail {

// Encodes an event once as the frame and attachments every receiver shares; a non-empty `offset`
// is appended as the last argument (connection-state recovery).
rooms::encoded_packet encode_event(std::string_view nsp, std::optional<std::uint64_t> id,
                                   std::string_view event, const boost::json::array& args,
                                   const std::vector<std::string>& binary, std::string_view offset = {});
inline rooms::encoded_packet encode_event(std::string_view nsp, std::optional<std::uint64_t> id,
                                          std::string_view event, const payload& p,
                                          std::string_view offset = {}) {
    return encode_event(nsp, id, event, p.args, p.binary, offset);
}
std::vector<out_item> to_items(const rooms::encoded_packet& pkt);

// Queues `pkt` for every socket of `ns` that `opts` targets; returns how many. `published`: when
// this node started the broadcast (switchboard_delivery_latency_seconds counts from it).
std::size_t deliver(namespace_impl& ns, const rooms::encoded_packet& pkt,
                    const rooms::broadcast_options& opts, std::chrono::steady_clock::time_point published);

}  // namespace switchboard::server::detail
