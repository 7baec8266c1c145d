#pragma once
#include <switchboard/server/log.hpp>
