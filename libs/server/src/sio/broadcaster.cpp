// Encode once → targets → deliver.
#include "../server_impl.hpp"

namespace switchboard::server::detail {

rooms::encoded_packet encode_event(std::string_view nsp, std::optional<std::uint64_t> id,
                                   std::string_view event, const boost::json::array& args,
                                   const std::vector<std::string>& binary, std::string_view offset) {
    std::string frame = "4";
    protocol::append_sio_event(frame, nsp, id, event, args, binary.size(), offset);
    rooms::encoded_packet pkt;
    pkt.frame = std::make_shared<const std::string>(std::move(frame));
    pkt.attachments.reserve(binary.size());
    for (const auto& b : binary)
        pkt.attachments.push_back(std::make_shared<const std::string>(b));
    return pkt;
}

std::vector<out_item> to_items(const rooms::encoded_packet& pkt) {
    std::vector<out_item> items;
    items.reserve(1 + pkt.attachments.size());
    items.push_back({pkt.frame, false});
    for (const auto& a : pkt.attachments)
        items.push_back({a, true});
    return items;
}

std::size_t deliver(namespace_impl& ns, const rooms::encoded_packet& pkt,
                    const rooms::broadcast_options& opts, std::chrono::steady_clock::time_point published) {
    auto targets = ns.targets(opts);
    std::size_t n = targets.size();
    if (targets.empty()) return 0;
    ns.srv.deliveries->inc(n);
    auto items = std::make_shared<const std::vector<out_item>>(to_items(pkt));
    std::uint64_t queued_here = 0;  // sessions of this thread: queued inline
    for (auto& t : targets) {
        auto& session = t->session();
        if (session.deliver(std::move(t), items, opts.is_volatile, published)) ++queued_here;
    }
    // One sample per recipient, all at the end of the loop: a histogram update per broadcast.
    if (queued_here) ns.srv.delivery_latency->observe(seconds_since(published), queued_here);
    return n;
}

}  // namespace switchboard::server::detail
